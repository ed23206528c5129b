"""Find temporal expressions in a parsed doc: spaCy's DATE/TIME entities plus what it misses.

The small English model misses bare deictic words ("yesterday" in some contexts, "this
morning", "on Monday" after a comma) and clips modifiers ("this" in "this Wednesday"); a
few token patterns fill that in, and every span gets the tense of the clause it sits in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from indexer.extract.temporal_values import Tense

_EXTRA = re.compile(
    r"\b(?:(?:this|last|next|early|late|mid)[- ])?(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday)(?: (?:morning|afternoon|evening|night))?\b"
    r"|\b(?:yesterday|today|tomorrow|tonight)(?: (?:morning|afternoon|evening|night))?\b"
    r"|\b(?:this|last) (?:morning|afternoon|evening|night)\b"
    r"|\b(?:this|last|next) (?:week|weekend|month|year)\b"
    r"|\b(?:early|mid|late)-?(?:19|20)\d\d\b"
    r"|\b(?:19|20)\d\d\b"
    r"|\b(?:now|recently|currently|current|the future|the past|daily|every day)\b"
    r"|\b(?:first|second|third|fourth)-(?:quarter|half)\b|\byear-(?:earlier|ago|end)\b"
    r"|\bthe (?:full )?year\b(?! ago| earlier| before)"
    r"|\bthe (?:latest|year-earlier|year-ago|comparable) (?:period|quarter)\b"
    r"|\b(?:(?:this|last|next|early|late|mid)[- ])?(?:january|february|march|april|june|july|"
    r"august|september|october|november|december)\b(?: \d{1,2}\b)?(?:,? (?:19|20)\d\d\b)?"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)\. \d{1,2}\b(?:,? (?:19|20)\d\d\b)?",
    re.IGNORECASE,
)
_LEFT_MODIFIERS = {"this", "last", "next", "early", "mid", "late", "coming", "past", "previous"}
_LEFT_JUNK = {
    "earlier",
    "later",
    "just",
    "only",
    "nearly",
    "almost",
    "within",
    "since",
    "the",
    "until",
    "through",
    "throughout",
    "before",
    "after",
}
_THE_DROPPED_BEFORE = re.compile(
    r"(?:past|last|coming|next|early|late|\d{4}s|\w+s)\b.*", re.IGNORECASE
)
_NOT_DATES = re.compile(
    r"(?:.*\byears? old|.*-year-old|.*-month-old|.*-week-old|.*-day-old|quarterly|annual|annually"
    r"|(?:the )?(?:night|morning|evening|afternoon|day))",
    re.IGNORECASE,
)
_JOINERS = {"ended", "ending", "through", "until", "till", "and", "or", "to", "between", "from"}
_PARTS_OF_DAY = {"morning", "afternoon", "evening", "night", "nights"}
_CLOCK_END = {"a.m.", "p.m.", "am", "pm", "noon", "midnight", "edt", "est", "gmt", "a.m", "p.m"}
_WEEKDAYS = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "yesterday",
    "today",
    "tomorrow",
}
_EDGE_JUNK = {
    "on",
    "in",
    "at",
    "by",
    "since",
    "until",
    "from",
    "of",
    "for",
    "during",
    "'s",
    "\u2019s",
    "about",
    "around",
    "-",
    ",",
    ".",
    "(",
    ")",
    '"',
    "“",
    "”",
    "'",
}
_FIGURES = {"$", "cents", "%", "c$", "us$"}
_FUTURE_AUX = {"will", "wo", "'ll", "shall", "going", "would"}
_PLANNING = {"plan", "schedule", "set", "due", "intend"}
_FUTURE_HEADS = {
    "plan",
    "schedule",
    "expect",
    "due",
    "set",
    "intend",
    "hope",
    "aim",
    "agree",
    "prepare",
    "propose",
    "want",
}


@dataclass(frozen=True)
class TemporalSpan:
    """A temporal expression's token span and the tense of the clause that governs it."""

    span: Span
    tense: Tense
    head: Token | None
    quarterly: bool = False


def clause_verb(token: Token) -> Token | None:
    """The nearest verb (or auxiliary-bearing predicate) above ``token`` in its sentence."""
    node = token
    for _ in range(12):
        if node.pos_ in {"VERB", "AUX"} or any(c.dep_ in {"aux", "auxpass"} for c in node.children):
            return node
        if node.head.i == node.i:
            return None
        node = node.head
    return None


def _has_had(token: Token) -> bool:
    """Whether ``token`` carries the past-perfect auxiliary "had"."""
    return any(c.lower_ == "had" and c.dep_ in {"aux", "auxpass"} for c in token.children)


def clause_tense(verb: Token | None) -> Tense:
    """Past, present or future of a clause, from its verb's morphology and auxiliaries."""
    if verb is None:
        return "none"
    auxes = [c for c in verb.children if c.dep_ in {"aux", "auxpass"}]
    words = {a.lower_ for a in auxes}
    if "had" in words or ("to" in words and _has_had(verb.head)):
        return "past"  # past perfect: "had been due to expire Friday" looks back
    if words & _FUTURE_AUX or (
        verb.lower_ == "going" and any(c.dep_ == "xcomp" for c in verb.children)
    ):
        return "future"
    if "to" in words and verb.head.lemma_ in _FUTURE_HEADS:
        return "future"
    if verb.lemma_ in _PLANNING or (verb.lemma_ in _FUTURE_HEADS and verb.tag_ != "VBD"):
        return "future"
    if "Past" in verb.morph.get("Tense", []) and verb.tag_ != "VBN":
        return "past"
    if any("Past" in a.morph.get("Tense", []) for a in auxes):
        return "past"
    if verb.tag_ == "VBN" and words & {"has", "have", "had"}:
        return "past"
    if verb.tag_ == "VBN" and not auxes:
        return "past"
    if verb.tag_ in {"VBZ", "VBP"} or words & {"is", "are", "am"}:
        return "present"
    if "to" in words:
        return "none"
    if verb.tag_ == "VB":
        return clause_tense(clause_verb(verb.head)) if verb.head.i != verb.i else "none"
    return "none"


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop prepositions and punctuation at the edges; pull in "this"/"last" on the left."""
    while start < end and doc[start].lower_ in _EDGE_JUNK:
        start += 1
    while end > start and doc[end - 1].lower_ in _EDGE_JUNK:
        end -= 1
    while start > 0 and doc[start - 1].lower_ in _LEFT_MODIFIERS and start < end:
        start -= 1
    while end - start > 1 and doc[start].lower_ in _LEFT_JUNK:
        if doc[start].lower_ == "the" and not _THE_DROPPED_BEFORE.fullmatch(
            doc[start + 1 : end].text
        ):
            break
        start += 1
    if end < len(doc) and doc[end].lower_ in _PARTS_OF_DAY and doc[end - 1].lower_ in _WEEKDAYS:
        end += 1
    if end < len(doc) and doc[end].lower_ in _WEEKDAYS and doc[end - 1].lower_ in _CLOCK_END:
        end += 1
    return start, end


def _split(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
    """Cut an entity that joins two expressions ("the quarter ended Sept. 30") in two."""
    parts = []
    begin = start
    for i in range(start + 1, end - 1):
        if doc[i].lower_ in _JOINERS:
            parts.append((begin, i))
            begin = i + 1
    parts.append((begin, end))
    return [(a, b) for a, b in parts if a < b]


def _regex_spans(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of the patterns spaCy's NER tends to miss."""
    found = []
    for match in _EXTRA.finditer(doc.text):
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None:
            found.append((span.start, span.end))
    return found


def _year_is_number(doc: Doc, start: int, end: int) -> bool:
    """A lone four-digit token that is a quantity ("2014 people"), not a year."""
    if end - start != 1:
        return False
    token = doc[start]
    return token.ent_type_ in {"CARDINAL", "MONEY", "QUANTITY", "PERCENT"} or (
        token.head.pos_ == "NOUN" and token.dep_ == "nummod" and token.i < token.head.i
    )


def find_temporal_spans(doc: Doc) -> list[TemporalSpan]:
    """Every temporal expression in ``doc``, in text order, without overlaps."""
    ranges: list[tuple[int, int]] = []
    for ent in doc.ents:
        if ent.label_ in {"DATE", "TIME"}:
            ranges.extend(_trim(doc, start, end) for start, end in _split(doc, ent.start, ent.end))
    for start, end in _regex_spans(doc):
        start, end = _trim(doc, start, end)
        overlap = [r for r in ranges if r[0] < end and start < r[1]]
        if _year_is_number(doc, start, end):
            continue
        if not overlap:
            ranges.append((start, end))
        elif all(start <= r[0] and r[1] <= end for r in overlap):
            ranges = [r for r in ranges if r not in overlap] + [(start, end)]
    spans = []
    reports_quarters = any("quarter" in t.lower_ for t in doc)
    for start, end in sorted(set(ranges)):
        if start >= end:
            continue
        span = doc[start:end]
        if _NOT_DATES.fullmatch(span.text):
            continue
        verb = clause_verb(span.root)
        possessive = end < len(doc) and doc[end].tag_ == "POS"
        quarterly = any(t.lower_ in {"quarter", "third-quarter"} for t in span.sent) or (
            reports_quarters and any(t.lower_ in _FIGURES for t in span.sent)
        )
        tense = "past" if possessive else clause_tense(verb)
        if start >= 3 and doc[start - 3 : start].text.lower() in {"as soon as", "as early as"}:
            tense = "future"
        spans.append(TemporalSpan(span, tense, verb, quarterly))
    return spans

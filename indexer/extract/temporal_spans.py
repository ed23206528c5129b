"""Find temporal expressions in a parsed doc: spaCy's DATE/TIME entities plus what it misses.

The small English model misses bare deictic words ("yesterday" in some contexts, "this
morning", "on Monday" after a comma) and clips modifiers ("this" in "this Wednesday"); a
few token patterns fill that in, and every span gets the tense of the clause it sits in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from indexer.extract.budget import MAX_EXPRESSION_CHARS
from indexer.extract.doc_index import doc_index
from indexer.extract.temporal_values import Tense

_TENSES = "storyrecords.clause_tenses"  # doc.user_data key: verb index -> clause tense

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
    index = doc_index(token.doc)
    node = token
    for _ in range(12):
        if node.pos_ in {"VERB", "AUX"} or index.aux_children[node.i]:
            return node
        if node.head.i == node.i:
            return None
        node = node.head
    return None


def _has_had(token: Token) -> bool:
    """Whether ``token`` carries the past-perfect auxiliary "had"."""
    return any(c.lower_ == "had" for c in doc_index(token.doc).auxiliaries_of(token))


def _own_tense(verb: Token) -> Tense | None:
    """The tense ``verb`` shows itself; None for a bare infinitive, which takes its governor's."""
    index = doc_index(verb.doc)
    auxes = index.auxiliaries_of(verb)
    words = {a.lower_ for a in auxes}
    if "had" in words or ("to" in words and _has_had(verb.head)):
        return "past"  # past perfect: "had been due to expire Friday" looks back
    if words & _FUTURE_AUX or (
        verb.lower_ == "going" and any(c.dep_ == "xcomp" for c in index.children_of(verb))
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
    if verb.tag_ == "VB" and verb.head.i != verb.i:
        return None
    return "none"


def clause_tense(verb: Token | None) -> Tense:
    """Past, present or future of a clause, from its verb's morphology and auxiliaries.

    A bare infinitive takes the tense of the clause above it; each verb's answer is kept on
    the doc, so a long chain of them is climbed once, not once per date below it.
    """
    if verb is None:
        return "none"
    known: dict[int, Tense] = verb.doc.user_data.setdefault(_TENSES, {})
    climbed: list[int] = []
    node: Token | None = verb
    tense: Tense = "none"
    while node is not None:
        if node.i in known:
            tense = known[node.i]
            break
        climbed.append(node.i)
        own = _own_tense(node)
        if own is not None:
            tense = own
            break
        node = clause_verb(node.head)
    for i in climbed:
        known[i] = tense
    return tense


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


class _Ranges:
    """A set of token ranges that answers "which overlap [start, end)" by the tokens it covers.

    A list scanned per query was quadratic in the number of dates; ranges here are found
    through the positions they cover, so a query costs its own length plus its answer.
    """

    def __init__(self) -> None:
        self.ranges: set[tuple[int, int]] = set()
        self._covering: dict[int, set[tuple[int, int]]] = {}  # token -> ranges over it
        self._empty: dict[int, set[tuple[int, int]]] = {}  # token -> empty ranges there

    def _cells(self, r: tuple[int, int]) -> tuple[dict[int, set[tuple[int, int]]], range]:
        if r[0] == r[1]:
            return self._empty, range(r[0], r[0] + 1)
        return self._covering, range(r[0], r[1])

    def add(self, r: tuple[int, int]) -> None:
        """Add one range (a repeat is the same range)."""
        if r not in self.ranges:
            self.ranges.add(r)
            table, cells = self._cells(r)
            for i in cells:
                table.setdefault(i, set()).add(r)

    def remove(self, r: tuple[int, int]) -> None:
        """Drop one range."""
        self.ranges.discard(r)
        table, cells = self._cells(r)
        for i in cells:
            table[i].discard(r)

    def overlapping(self, start: int, end: int) -> set[tuple[int, int]]:
        """Every range (a, b) with a < end and start < b."""
        if start == end:
            return {r for r in self._covering.get(start, ()) if r[0] < start}
        found: set[tuple[int, int]] = set()
        for i in range(start, end):
            found.update(self._covering.get(i, ()))
            if i > start:
                found.update(self._empty.get(i, ()))
        return found


def _sentence_has(doc: Doc, words: frozenset[str] | set[str]) -> list[bool]:
    """For each sentence, whether one of its tokens (lower-cased) is in ``words``."""
    index = doc_index(doc)
    return [any(doc[i].lower_ in words for i in range(a, b)) for a, b in index.sentences]


def find_temporal_spans(doc: Doc) -> list[TemporalSpan]:
    """Every temporal expression in ``doc``, in text order, without overlaps."""
    ranges = _Ranges()
    for ent in doc.ents:
        if ent.label_ in {"DATE", "TIME"}:
            for start, end in _split(doc, ent.start, ent.end):
                ranges.add(_trim(doc, start, end))
    for start, end in _regex_spans(doc):
        start, end = _trim(doc, start, end)
        overlap = ranges.overlapping(start, end)
        if _year_is_number(doc, start, end):
            continue
        if not overlap:
            ranges.add((start, end))
        elif all(start <= r[0] and r[1] <= end for r in overlap):
            for r in overlap:
                ranges.remove(r)
            ranges.add((start, end))
    spans = []
    index = doc_index(doc)
    reports_quarters = any("quarter" in t.lower_ for t in doc)
    with_quarter = _sentence_has(doc, {"quarter", "third-quarter"})
    with_figures = _sentence_has(doc, _FIGURES) if reports_quarters else []
    for start, end in sorted(ranges.ranges):
        if start >= end:
            continue
        span = doc[start:end]
        text = span.text
        if len(text) > MAX_EXPRESSION_CHARS or _NOT_DATES.fullmatch(text):
            continue
        verb = clause_verb(span.root)
        possessive = end < len(doc) and doc[end].tag_ == "POS"
        # the sentence(s) the span is in, as Span.sent reads them
        sentences = range(index.sentence[start], index.sentence[end - 1] + 1)
        quarterly = any(with_quarter[n] for n in sentences) or (
            reports_quarters and any(with_figures[n] for n in sentences)
        )
        tense = "past" if possessive else clause_tense(verb)
        if start >= 3 and doc[start - 3 : start].text.lower() in {"as soon as", "as early as"}:
            tense = "future"
        spans.append(TemporalSpan(span, tense, verb, quarterly))
    return spans

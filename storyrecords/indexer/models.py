"""The records the indexer produces: frozen dataclasses, serialisable to plain JSON.

Every extracted item keeps character offsets into the *cleaned* article text, so a
consumer can always point back at the words a fact came from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

PartyKind = Literal["country", "organization", "person"]
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
    event_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old records still load."""
        return _build(cls, data)


T = TypeVar("T")

_NESTED: dict[str, type] = {
    "parties": Party,
    "venues": Venue,
    "places": Place,
    "dates": DateRef,
    "demands": Demand,
    "mentions": Mention,
}


def _build(cls: type[T], data: dict[str, Any]) -> T:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            continue
        if key in _NESTED and isinstance(value, list):
            kwargs[key] = tuple(_build(_NESTED[key], item) for item in value)
        elif key == "sentence" and isinstance(value, dict):
            kwargs[key] = _build(Mention, value)
        elif isinstance(value, list):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    return cls(**kwargs)

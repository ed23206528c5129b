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
    #: What the page said about itself; set only by trusted in-process callers (page,
    #: archive and feed readers, the API's own ``html`` extraction), never from a client.
    page: PageInfo | None = None


@dataclass(frozen=True)
class PageInfo:
    """Where an article read from a web page came from, and where each of its fields did.

    ``sources`` maps a field (``title``, ``authors``, ``published_at``, ``canonical_url``,
    ``site_name``, ``language``, ``source``, ``url``) to its provenance: ``json-ld``,
    ``meta`` (``<meta>``, ``<link>``, ``<title>``, ``lang``), ``url``, ``text`` (found in or
    detected from the page text), ``feed`` or ``client`` (given with the request).
    """

    url: str | None = None
    canonical_url: str | None = None
    #: SHA-256 of the raw HTML bytes (after decompression); None for a feed item's own text.
    sha256: str | None = None
    bytes: int | None = None
    authors: tuple[str, ...] = ()
    site_name: str | None = None
    extractor: str | None = None
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    feed: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    #: The page itself, only when the server is configured to keep it (off by default).
    html: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageInfo:
        """From the ``page`` dict a page reader produces; unknown keys are ignored."""
        return _build(cls, data)


#: The extraction steps that only know English: they do not run for other languages.
ENGLISH_ONLY_STEPS: tuple[str, ...] = ("parties", "dates", "venues", "places", "demands", "facts")


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
    #: The language the steps were chosen for, and where it came from (see Article).
    language: str | None = None
    language_source: str | None = None
    #: Steps that did not run, because they only know English (:data:`ENGLISH_ONLY_STEPS`).
    skipped_steps: tuple[str, ...] = ()


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
    #: Where ``language`` came from: ``client``, a page's ``meta``/``json-ld``, ``feed``,
    #: ``text`` (detected) or ``default`` (nobody said and the text was too short to tell).
    language_source: str | None = None
    #: Extraction steps that did not run for this article's language (non-English).
    skipped_steps: tuple[str, ...] = ()
    #: For an article read from a web page: its address, hash and each field's provenance.
    page: PageInfo | None = None
    #: The id of the earliest stored article this one is a (syndicated) copy of.
    duplicate_of: str | None = None
    #: Near-duplicate signature of ``text`` (:mod:`indexer.dedup`); internal, not served.
    signature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        return dump(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old records still load."""
        return _build(cls, data)


T = TypeVar("T")


_NAMES: dict[type, tuple[str, ...]] = {}


def dump(value: Any) -> Any:
    """Records as plain JSON values (tuples become lists), like ``dataclasses.asdict`` but
    without copying every leaf: it runs for every record stored and every hit served."""
    cls = type(value)
    names = _NAMES.get(cls)
    if names is None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
        elif cls in (tuple, list):
            return [dump(v) for v in value]
        elif cls is dict:
            return {k: dump(v) for k, v in value.items()}
        else:
            return value
    return {name: dump(getattr(value, name)) for name in names}


Converter = typing.Callable[[Any], Any]
_PLANS: dict[type, dict[str, Converter]] = {}


def _identity(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Converter:
    """A function rebuilding values of type ``hint`` from JSON, decided once per field type.

    Records are decoded on every read and search hit; looking the type hints up per value
    (as a generic walk would) cost more than the rest of a search.
    """
    origin = typing.get_origin(hint)
    if origin is tuple:
        item = _converter(typing.get_args(hint)[0])
        if item is _identity:
            return lambda value: None if value is None else tuple(value)
        return lambda value: None if value is None else tuple(item(v) for v in value)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _converter(inner[0]) if len(inner) == 1 else _identity
    if dataclasses.is_dataclass(hint):
        cls = hint

        def build(value: Any) -> Any:
            return _build(cls, value) if isinstance(value, dict) else value  # type: ignore[arg-type]

        return build
    return _identity


def _plan(cls: type) -> dict[str, Converter]:
    if cls not in _PLANS:
        hints = typing.get_type_hints(cls)
        _PLANS[cls] = {
            f.name: _converter(hints[f.name])
            for f in dataclasses.fields(cls)
        }
    return _PLANS[cls]


def _build(cls: type[T], data: dict[str, Any]) -> T:
    plan = _plan(cls)
    kwargs = {k: (None if v is None else plan[k](v)) for k, v in data.items() if k in plan}
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
    #: The story (thread of events) this happening belongs to; kept by every re-derivation.
    story_id: str | None = None
    #: Lineage of online splits: the event this one was split from, and the ones split off it.
    split_from: str | None = None
    split_into: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return dump(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """Inverse of :meth:`to_dict`."""
        return _build(cls, data)


# --- Stories: threads of events (the Geneva talks -> the Brussels council -> Vienna) --------


@dataclass(frozen=True)
class StoryEvent:
    """One entry of a story's timeline: an event, when and where it happened."""

    event_id: str
    title: str
    date: str | None
    venue_id: str | None
    venue: str | None
    type: str | None
    article_count: int
    first_seen: str
    parties: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoryParty:
    """A party of the story, and in how many of its events it takes part."""

    id: str
    name: str
    kind: PartyKind
    event_count: int


@dataclass(frozen=True)
class Story:
    """A thread of events, derived from the events whose ``story_id`` names it."""

    id: str
    title: str
    events: tuple[StoryEvent, ...]
    announced: tuple[Happening, ...]
    parties: tuple[StoryParty, ...]
    sources: tuple[str, ...]
    first_seen: str
    last_updated: str
    signature: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return dump(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Story:
        """Inverse of :meth:`to_dict`."""
        return _build(cls, data)

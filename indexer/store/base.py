"""The Store interface: every backend implements all of it, and one contract suite tests each."""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager

from indexer.models import Article, Event
from indexer.store.query import SearchPage, SearchQuery


class PutResult(enum.Enum):
    """What a write did, so ingest can answer 201 (created) or 200 (already there)."""

    CREATED = "created"
    UNCHANGED = "unchanged"


class Store(abc.ABC):
    """Keeps articles and answers faceted searches over them.

    Backends raise :class:`~indexer.errors.StoreUnavailable` when their service
    cannot be reached, ``NotFound`` for missing ids and ``Conflict`` when an id is already
    taken by different content; they never swallow a write.
    """

    @abc.abstractmethod
    def ping(self) -> None:
        """Return when the store can serve requests; raise StoreUnavailable otherwise."""

    @abc.abstractmethod
    def put_article(self, article: Article) -> PutResult:
        """Store an article unless the same content is already stored under its id."""

    @abc.abstractmethod
    def get_article(self, article_id: str) -> Article:
        """The stored article, or NotFound."""

    @abc.abstractmethod
    def delete_article(self, article_id: str) -> None:
        """Remove an article, or raise NotFound."""

    @abc.abstractmethod
    def search_articles(self, query: SearchQuery) -> SearchPage:
        """One page of matching articles with facet counts and the next cursor."""

    @abc.abstractmethod
    def count_articles(self) -> int:
        """How many articles are stored."""

    @abc.abstractmethod
    def iter_articles(self) -> Iterator[Article]:
        """Every stored article, oldest first (for rebuilding indices)."""

    # -- events ---------------------------------------------------------------------------

    @abc.abstractmethod
    def assignment_lock(self) -> AbstractContextManager[None]:
        """Held while an article is assigned to an event, across threads and processes.

        Two articles of one event assigned at the same moment must see each other's event.
        """

    @abc.abstractmethod
    def candidate_events(self, terms: Sequence[str], limit: int) -> list[Event]:
        """Live events whose text matches any of ``terms``, best first."""

    @abc.abstractmethod
    def get_event(self, event_id: str) -> tuple[Event, str]:
        """The event and its version; NotFound, or Moved when it was merged into another."""

    @abc.abstractmethod
    def put_event(self, event: Event, *, version: str | None, text: str) -> str:
        """Create (``version`` None) or compare-and-set an event; Conflict when it changed.

        ``text`` is what the event is found by (titles and leads of its articles).
        Returns the new version.
        """

    @abc.abstractmethod
    def retire_event(self, event_id: str, into: str, *, version: str) -> None:
        """Replace an event merged into ``into`` by a redirect (compare-and-set)."""

    @abc.abstractmethod
    def add_redirect(self, event_id: str, into: str) -> None:
        """Make an id that is not a live event answer with ``into`` (after a rebuild)."""

    @abc.abstractmethod
    def redirects(self) -> dict[str, str]:
        """Every retired event id and where it points."""

    @abc.abstractmethod
    def delete_event(self, event_id: str, *, version: str) -> None:
        """Remove an event that no longer has articles (compare-and-set)."""

    @abc.abstractmethod
    def set_article_event(self, article_id: str, event_id: str | None) -> None:
        """Record which event an article belongs to."""

    @abc.abstractmethod
    def articles_of_event(self, event_id: str) -> list[Article]:
        """The event's articles, oldest first."""

    @abc.abstractmethod
    def search_events(self, query: SearchQuery) -> SearchPage:
        """One page of matching live events with facet counts and the next cursor."""

    # -- rebuilds -------------------------------------------------------------------------

    @abc.abstractmethod
    def begin_rebuild(self) -> Store:
        """An empty store beside this one, not yet live, to rebuild everything into."""

    @abc.abstractmethod
    def activate(self, rebuilt: Store) -> Store:
        """Make ``rebuilt`` live under this store's names, atomically for every reader.

        Returns a handle on the retired data, to catch up from and then :meth:`drop`.
        """

    @abc.abstractmethod
    def drop(self) -> None:
        """Delete a retired store's data (never the live one's)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to free
        """Release connections and files."""

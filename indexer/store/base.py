"""The Store interface: every backend implements all of it, and one contract suite tests each."""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

from indexer.errors import Conflict, NotFound
from indexer.jobs import JobStore
from indexer.keys import KeyRing
from indexer.models import Article, Event, Story
from indexer.store.query import SearchPage, SearchQuery


@dataclass(frozen=True)
class Candidate:
    """What choosing an event needs of a candidate: its id, signature and age, not the record.

    Decoding whole events (parties, conflicts, spans) for twenty candidates per article was
    most of an assignment's time.
    """

    id: str
    signature: dict[str, Any] | None
    first_seen: str


class PutResult(enum.Enum):
    """What a write did, so ingest can answer 201 (created) or 200 (already there)."""

    CREATED = "created"
    UNCHANGED = "unchanged"


Collection = Literal["articles", "events", "stories"]
#: ``create``: a record that must not exist yet; ``update``: compare-and-set on ``version``;
#: ``membership``: an article's ``event_id`` only (compare-and-set); ``retire``: a record
#: replaced by a redirect to ``into`` (compare-and-set); ``delete`` (compare-and-set).
WriteAction = Literal["create", "update", "membership", "retire", "delete"]


@dataclass(frozen=True)
class RecordWrite:
    """One write of :meth:`Store.write_batch`, with the version it was decided against."""

    collection: Collection
    action: WriteAction
    record_id: str
    version: str | None = None
    record: Article | Event | Story | None = None
    text: str = ""  # what an event or story is found by
    event_id: str | None = None  # ``membership``: the article's new event
    into: str | None = None  # ``retire``: where the redirect points


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
    def put_articles(self, articles: Sequence[Article]) -> list[PutResult | Conflict]:
        """Store many articles in one round trip (one transaction, one bulk request).

        Each gets what :meth:`put_article` would have answered: CREATED, UNCHANGED, or the
        Conflict it would have raised (returned here, so one taken id sinks no others).
        """

    @abc.abstractmethod
    def get_article(self, article_id: str) -> Article:
        """The stored article, or NotFound."""

    @abc.abstractmethod
    def get_article_versioned(self, article_id: str) -> tuple[Article, str]:
        """The stored article and its version, for a compare-and-set write; NotFound."""

    @abc.abstractmethod
    def get_articles(self, article_ids: Sequence[str]) -> list[Article]:
        """The stored articles among ``article_ids``, in that order (missing ones left out).

        Reads records directly, never through the search index: it sees every acknowledged
        write at once, on every backend.
        """

    @abc.abstractmethod
    def delete_article(self, article_id: str, *, version: str | None = None) -> None:
        """Remove an article (only at ``version`` when given: Conflict otherwise), or NotFound."""

    @abc.abstractmethod
    def refresh(self) -> None:
        """Make every acknowledged write visible to search now (a no-op where it always is)."""

    @abc.abstractmethod
    def search_articles(self, query: SearchQuery) -> SearchPage:
        """One page of matching articles with facet counts and the next cursor."""

    def search_articles_many(self, queries: Sequence[SearchQuery]) -> list[SearchPage]:
        """:meth:`search_articles` for each query, in one round trip where the backend has
        one (a batch of articles looks its possible originals up together)."""
        return [self.search_articles(query) for query in queries]

    @abc.abstractmethod
    def count_articles(self) -> int:
        """How many articles are stored."""

    @abc.abstractmethod
    def iter_articles(self) -> Iterator[Article]:
        """Every stored article, oldest first (for rebuilding indices)."""

    # -- events ---------------------------------------------------------------------------

    def write_batch(self, writes: Sequence[RecordWrite]) -> list[Conflict | None]:
        """Apply many writes, each exactly as its single-record method would (compare-and-set
        included), in as few round trips as the backend allows.

        Each write gets None, or the Conflict its method would have raised (a create of an id
        already taken, a version that moved, a record gone), so one lost race sinks no other
        write. Not atomic: callers write the truth (articles) in one batch before what is
        derived from it (events, then stories), as the single-record path does.
        """
        results: list[Conflict | None] = []
        for write in writes:
            try:
                self._write_one(write)
                results.append(None)
            except Conflict as exc:
                results.append(exc)
            except NotFound as exc:
                results.append(Conflict(str(exc)))
        return results

    def _write_one(self, write: RecordWrite) -> None:
        record, version = write.record, write.version or ""
        if write.collection == "articles":
            if write.action == "create" and isinstance(record, Article):
                if self.put_article(record) is not PutResult.CREATED:
                    raise Conflict(f"article {write.record_id} was stored meanwhile")
                return
            if write.action == "membership":
                self.set_article_event(write.record_id, write.event_id, version=version)
                return
        elif write.collection == "events":
            if write.action in ("create", "update") and isinstance(record, Event):
                self.put_event(record, version=write.version, text=write.text)
                return
            if write.action == "retire" and write.into is not None:
                self.retire_event(write.record_id, write.into, version=version)
                return
            if write.action == "delete":
                self.delete_event(write.record_id, version=version)
                return
        else:
            if write.action in ("create", "update") and isinstance(record, Story):
                self.put_story(record, version=write.version, text=write.text)
                return
            if write.action == "retire" and write.into is not None:
                self.retire_story(write.record_id, write.into, version=version)
                return
            if write.action == "delete":
                self.delete_story(write.record_id, version=version)
                return
        raise ValueError(f"not a write this store knows: {write.collection} {write.action}")

    @abc.abstractmethod
    def assignment_lock(self) -> AbstractContextManager[None]:
        """Held while an article is assigned to an event, across threads and processes.

        Two articles of one event assigned at the same moment must see each other's event.
        """

    @abc.abstractmethod
    def candidate_events(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        """Live events whose text matches any of ``terms``, best first."""

    def candidate_events_many(
        self, terms: Sequence[Sequence[str]], limit: int
    ) -> list[list[Candidate]]:
        """:meth:`candidate_events` for each list of terms, in one round trip where the
        backend has one (a batch of articles looks its candidates up together)."""
        return [self.candidate_events(each, limit) for each in terms]

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
    def set_article_event(self, article_id: str, event_id: str | None, *, version: str) -> str:
        """Move an article into an event, compare-and-set on the article's version.

        The article's ``event_id`` is the one record of event membership; every other copy
        (an event's article list, its merged fields) is derived from it. Returns the new
        version; Conflict when the article changed since ``version``, NotFound when it is gone.
        """

    @abc.abstractmethod
    def articles_of_event(self, event_id: str) -> list[Article]:
        """The articles whose ``event_id`` is ``event_id``, oldest first (every acknowledged
        write included: a backend whose search lags refreshes first)."""

    @abc.abstractmethod
    def events_founded_since(self, since_us: int) -> list[Candidate]:
        """Live events founded at or after ``since_us`` (microseconds): what a candidate search
        begun before the assignment lock was taken cannot have seen."""

    @abc.abstractmethod
    def iter_events(self) -> Iterator[tuple[Event, str]]:
        """Every live event with its version (for checks and repairs)."""

    @abc.abstractmethod
    def delete_redirect(self, event_id: str) -> None:
        """Remove a redirect that leads nowhere (repairs only); a live event is left alone."""

    # -- stories ----------------------------------------------------------------------------
    # A story is a thread of events. An event's ``story_id`` is its membership (written with
    # the event); the story record is derived from its events and can be recomputed.

    @abc.abstractmethod
    def get_story(self, story_id: str) -> tuple[Story, str]:
        """The story and its version; NotFound, or Moved when it was merged into another."""

    @abc.abstractmethod
    def put_story(self, story: Story, *, version: str | None, text: str) -> str:
        """Create (``version`` None) or compare-and-set a story; returns the new version."""

    @abc.abstractmethod
    def retire_story(self, story_id: str, into: str, *, version: str) -> None:
        """Replace a story whose events all moved to ``into`` by a redirect (compare-and-set)."""

    @abc.abstractmethod
    def delete_story(self, story_id: str, *, version: str) -> None:
        """Remove a story that no longer has events (compare-and-set)."""

    @abc.abstractmethod
    def candidate_stories(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        """Live stories whose text matches any of ``terms``, best first."""

    def warm(self) -> None:
        """Build what the first search would otherwise build while a client waits (a server
        calls this in the background as each worker starts). Most stores have nothing."""
        return None

    def stories_founded_since(self, since_us: int) -> list[Candidate]:
        """Live stories founded at or after ``since_us`` that ``candidate_stories`` may not see
        yet. A store whose search sees every write at once (SQLite) has none to add."""
        return []

    @abc.abstractmethod
    def events_of_story(self, story_id: str) -> list[Event]:
        """The live events whose ``story_id`` is ``story_id`` (every acknowledged write)."""

    @abc.abstractmethod
    def search_stories(self, query: SearchQuery) -> SearchPage:
        """One page of matching live stories with facet counts and the next cursor."""

    @abc.abstractmethod
    def iter_stories(self) -> Iterator[tuple[Story, str]]:
        """Every live story with its version (for checks and repairs)."""

    @abc.abstractmethod
    def story_redirects(self) -> dict[str, str]:
        """Every retired story id and where it points."""

    # -- checks -----------------------------------------------------------------------------

    @abc.abstractmethod
    def search_document_problems(self) -> Iterator[tuple[str, str, str]]:
        """(collection, id, what is wrong) for every search document that does not match its
        record, and every record missing from the search index."""

    @abc.abstractmethod
    def repair_search_document(self, collection: str, record_id: str) -> None:
        """Rewrite one record's search documents from the record itself."""

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
        """Delete a retired store's data, or a rebuild that never went live (never the live
        one's)."""

    @abc.abstractmethod
    def rebuild_lock(self) -> AbstractContextManager[None]:
        """Held for a whole rebuild; a second rebuild fails (StoreUnavailable) rather than
        running alongside: at once on SQLite, within one lease on Elasticsearch. Activation
        is compare-and-set besides: it refuses to switch (Conflict) when the live generation
        is no longer the one the rebuild began from."""

    # -- keys -----------------------------------------------------------------------------

    @abc.abstractmethod
    def keys(self) -> KeyRing:
        """The API keys, kept outside the generations a rebuild replaces."""

    # -- bulk jobs ------------------------------------------------------------------------

    @abc.abstractmethod
    def jobs(self) -> JobStore:
        """Bulk jobs (records, bodies, results), kept outside the generations a rebuild
        replaces, like the keys."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to free
        """Release connections and files."""

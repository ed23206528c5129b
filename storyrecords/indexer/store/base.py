"""The Store interface: every backend implements all of it, and one contract suite tests each."""

from __future__ import annotations

import abc
import enum

from storyrecords.indexer.models import Article
from storyrecords.indexer.store.query import SearchPage, SearchQuery


class PutResult(enum.Enum):
    """What a write did, so ingest can answer 201 (created) or 200 (already there)."""

    CREATED = "created"
    UNCHANGED = "unchanged"


class Store(abc.ABC):
    """Keeps articles and answers faceted searches over them.

    Backends raise :class:`~storyrecords.indexer.errors.StoreUnavailable` when their service
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

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to free
        """Release connections and files."""

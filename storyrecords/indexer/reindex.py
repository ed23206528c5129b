"""Rebuild every article and event from the stored articles, then switch over atomically.

The live store keeps answering throughout: the rebuild fills a new generation beside it,
the switch is one atomic step (an alias swap, or a pointer file), and articles that arrived
or were deleted in the old generation meanwhile are carried over afterwards, so nothing
acknowledged is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from storyrecords.indexer.errors import NotFound
from storyrecords.indexer.events.assign import assign_article
from storyrecords.indexer.ingest import Extractor, Indexer, build_article
from storyrecords.indexer.models import Article, ArticleInput
from storyrecords.indexer.store.base import PutResult, Store
from storyrecords.indexer.store.query import EVENT_FACETS, SearchQuery

#: Requests that resolved the old names just before the switch finish within this.
GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class ReindexReport:
    """What a rebuild did."""

    rebuilt: int
    caught_up: int
    removed: int
    events: int
    seconds: float


def reextract(article: Article, extract: Extractor, version: str) -> Article:
    """The article as the current extractor sees it; id, hash and ingest time are kept."""
    item = ArticleInput(
        text=article.text,
        title=article.title,
        url=article.url,
        source=article.source,
        published_at=article.published_at,
        language=article.language,
        id=article.id,
    )
    fresh = build_article(item, extract(item), version)
    return replace(
        fresh,
        content_hash=article.content_hash,
        indexed_at=article.indexed_at,
        event_id=None,
    )


def _copy(store: Store, article: Article, extract: Extractor, version: str) -> None:
    fresh = reextract(article, extract, version)
    if store.put_article(fresh) is PutResult.CREATED:
        assign_article(store, fresh)


def reindex(
    store: Store,
    extract: Extractor,
    version: str,
    *,
    progress: Callable[[int], None] | None = None,
    grace_seconds: float = GRACE_SECONDS,
) -> ReindexReport:
    """Rebuild ``store`` from its own articles with the current extractor and event merger."""
    started = time.monotonic()
    target = store.begin_rebuild()
    copied: set[str] = set()
    for article in store.iter_articles():
        _copy(target, article, extract, version)
        copied.add(article.id)
        if progress is not None:
            progress(1)
    retired = store.activate(target)
    time.sleep(grace_seconds)
    caught_up, still_there = 0, set()
    for article in retired.iter_articles():
        still_there.add(article.id)
        if article.id not in copied:  # arrived during the rebuild
            _copy(store, article, extract, version)
            caught_up += 1
    indexer = Indexer(store, extract, version)
    removed = 0
    for article_id in copied - still_there:  # deleted during the rebuild
        try:
            indexer.delete(article_id)
            removed += 1
        except NotFound:
            pass
    retired.drop()
    events = store.search_events(SearchQuery(size=1, facets=EVENT_FACETS)).total
    return ReindexReport(
        rebuilt=len(copied),
        caught_up=caught_up,
        removed=removed,
        events=events,
        seconds=time.monotonic() - started,
    )

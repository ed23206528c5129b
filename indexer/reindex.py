"""Rebuild every article and event from the stored articles, then switch over atomically.

The live store keeps answering throughout: the rebuild fills a new generation beside it,
the switch is one atomic step (an alias swap, or a pointer file), and articles that arrived
or were deleted in the old generation meanwhile are carried over afterwards, so nothing
acknowledged is lost.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from indexer.errors import Conflict, Moved, NotFound
from indexer.events.assign import assign_article
from indexer.ingest import Extractor, Indexer, build_article, language_aware
from indexer.models import Article, ArticleInput
from indexer.store.base import PutResult, Store
from indexer.store.query import EVENT_FACETS, SearchQuery

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
        page=article.page,
    )
    fresh = build_article(item, language_aware(extract)(item), version)
    return replace(
        fresh,
        content_hash=article.content_hash,
        indexed_at=article.indexed_at,
        event_id=None,
        language_source=article.language_source or fresh.language_source,
        duplicate_of=article.duplicate_of,
    )


def _copy(store: Store, article: Article, extract: Extractor, version: str) -> None:
    fresh = reextract(article, extract, version)
    if store.put_article(fresh) is PutResult.CREATED:
        assign_article(store, fresh)


def _keep_old_event_ids(store: Store, retired: Store) -> None:
    """Old event ids that no longer name an event redirect to where their articles went.

    A rebuild can group articles differently (a split, a merge); an old id then points at
    the event now holding most of its articles, and older redirects follow along.
    """
    moved: dict[str, Counter[str]] = {}
    for article in retired.iter_articles():
        if article.event_id is None:
            continue
        try:
            now = store.get_article(article.id).event_id
        except NotFound:
            continue
        if now is not None and now != article.event_id:
            moved.setdefault(article.event_id, Counter())[now] += 1
    targets = {
        old: min(counts, key=lambda e: (-counts[e], e)) for old, counts in moved.items()
    }
    for old, target in sorted(targets.items()):
        if not _is_live(store, old):
            store.add_redirect(old, target)
    for old, target in sorted(retired.redirects().items()):
        final = targets.get(target, target)
        if final != old and not _is_live(store, old):
            store.add_redirect(old, final)


def _is_live(store: Store, event_id: str) -> bool:
    try:
        store.get_event(event_id)
    except (NotFound, Moved):
        return False
    return True


def reindex(
    store: Store,
    extract: Extractor,
    version: str,
    *,
    progress: Callable[[int], None] | None = None,
    grace_seconds: float = GRACE_SECONDS,
) -> ReindexReport:
    """Rebuild ``store`` from its own articles with the current extractor and event merger.

    Exclusive: a second rebuild of the same store fails instead of running alongside (and the
    switch itself is compare-and-set, so even a rebuild that lost its lock cannot retire
    another's generation).
    """
    with store.rebuild_lock():
        return _rebuild(store, extract, version, progress, grace_seconds)


def _rebuild(
    store: Store,
    extract: Extractor,
    version: str,
    progress: Callable[[int], None] | None,
    grace_seconds: float,
) -> ReindexReport:
    started = time.monotonic()
    store.refresh()  # the copy below reads by search: make every acknowledged write visible
    target = store.begin_rebuild()
    copied: set[str] = set()
    for article in store.iter_articles():
        _copy(target, article, extract, version)
        copied.add(article.id)
        if progress is not None:
            progress(1)
    try:
        retired = store.activate(target)
    except Conflict:
        target.drop()  # the rebuild that lost: its own, never-live generation
        raise
    time.sleep(grace_seconds)
    retired.refresh()  # and so does the catch-up
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
    _keep_old_event_ids(store, retired)
    retired.drop()
    store.refresh()  # count every event the rebuild founded, searchable yet or not
    events = store.search_events(SearchQuery(size=1, facets=EVENT_FACETS)).total
    return ReindexReport(
        rebuilt=len(copied),
        caught_up=caught_up,
        removed=removed,
        events=events,
        seconds=time.monotonic() - started,
    )

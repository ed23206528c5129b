"""The Elasticsearch index layout, in one place: names, settings and field mappings.

Only what the minimal distribution ships is used (the built-in ``standard`` analyzer, core
field types): no analysis-common filters, no scripts, no nested documents (facets are flat
``keyword`` fields, aggregated with plain terms aggregations). Each physical index is
versioned and reached through an alias, so a reindex can build ``-v2`` and swap the alias.
"""

from __future__ import annotations

from typing import Any

from indexer.store.query import EVENT_FACETS, FACETS, STORY_FACETS

#: Bump when a mapping changes incompatibly; a reindex then fills the new physical index.
MAPPING_VERSION = 3

#: Sort keys used in place of a missing publication time, as in the embedded store:
#: undated records come last both in ``newest`` (descending) and ``oldest`` (ascending) order.
MISSING_NEWEST = ""
MISSING_OLDEST = "9999"

_KEYWORD: dict[str, Any] = {"type": "keyword"}

SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,  # one shard: exact facet counts and a single scoring space
    "number_of_replicas": 0,  # a single-node cluster stays green
    # Writes do not wait for refreshes (reads by id are real-time; the assignment finds the
    # events founded a moment ago by id), so the default interval keeps indexing cheap.
    "refresh_interval": "1s",
}


def _searchable(facets: tuple[str, ...], extra: dict[str, Any]) -> dict[str, Any]:
    """Fields shared by every searchable collection (articles and events)."""
    return {
        "dynamic": "strict",  # a typo in a document field fails loudly, not as a new field
        "properties": {
            "id": _KEYWORD,  # the tie-breaker of every sort (``_id`` has no doc values)
            # Search copies of title and text, pre-tokenised by the backend so words split
            # exactly as in the embedded FTS5 index; ``standard`` then splits on spaces.
            "title": {"type": "text", "analyzer": "standard"},
            "text": {"type": "text", "analyzer": "standard"},
            "published_at": {"type": "date"},  # UTC, for the date_from/date_to range
            "published_utc": _KEYWORD,  # the same instant as sortable text, carried by cursors
            "indexed_us": {"type": "long"},  # first stored, in microseconds: the cursor snapshot
            # Facet values to filter on: ``facets.party: ["usa", "rus"]``.
            "facets": {"properties": {facet: _KEYWORD for facet in facets}},
            # The same values joined with their display label (``value\x1flabel``): one terms
            # aggregation per facet counts records and names each value.
            "facet_labels": {"properties": {facet: _KEYWORD for facet in facets}},
            # The record exactly as stored: returned by get, never indexed.
            "doc": {"type": "object", "enabled": False},
            **extra,
        },
    }


ARTICLE_MAPPINGS = _searchable(
    FACETS,
    {
        "source": _KEYWORD,
        "content_hash": _KEYWORD,
        "event_id": _KEYWORD,
        "duplicate_of": _KEYWORD,  # set on syndicated copies: search may leave them out
    },
)

EVENT_MAPPINGS = _searchable(
    EVENT_FACETS,
    {
        "redirect_to": _KEYWORD,  # set when merged into another event; such events are hidden
        "story_id": _KEYWORD,  # the story the event belongs to (its membership)
    },
)

STORY_MAPPINGS = _searchable(STORY_FACETS, {"redirect_to": _KEYWORD})

#: One document per held lock; its holder renews it (``renewed`` counts up) while it works.
LOCK_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "owner": _KEYWORD,
        "renewed": {"type": "long"},
        # The founded lists (events, stories): [{"id", "us"}] of the last minute's foundings,
        # read by id only (never searched), so kept in _source and not indexed.
        "records": {"type": "object", "enabled": False},
    },
}

#: The locks index holds leases and the recent-foundings list, both advisory (correctness is
#: compare-and-set on the records themselves): a write there need not wait for a translog
#: fsync (~4 ms each, two or three per ingested article). Losing the last few seconds of
#: them in a crash frees a lease early or forgets a founding (the search finds it a second
#: later); every acknowledged article and event stays fsynced.
LOCK_SETTINGS: dict[str, Any] = {"translog": {"durability": "async"}}

#: Collection name -> mappings; each lives in ``{prefix}-{name}-v{MAPPING_VERSION}``.
COLLECTIONS: dict[str, dict[str, Any]] = {
    "articles": ARTICLE_MAPPINGS,
    "events": EVENT_MAPPINGS,
    "stories": STORY_MAPPINGS,
    "locks": LOCK_MAPPINGS,
}


def alias_name(prefix: str, collection: str = "articles") -> str:
    """The stable name every read and write goes through."""
    return f"{prefix}-{collection}"


def index_name(prefix: str, collection: str = "articles", version: int = MAPPING_VERSION) -> str:
    """The physical index behind the alias for one mapping version."""
    return f"{alias_name(prefix, collection)}-v{version}"


def index_body(collection: str = "articles") -> dict[str, Any]:
    """Settings and mappings for creating a collection's physical index."""
    settings = {**SETTINGS, **LOCK_SETTINGS} if collection == "locks" else SETTINGS
    return {"settings": settings, "mappings": COLLECTIONS[collection]}

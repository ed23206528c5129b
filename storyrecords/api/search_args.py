"""HTTP search arguments -> the indexer's query model (shared by articles and events)."""

from __future__ import annotations

from typing import Any

from storyrecords.indexer.store.query import FACETS, SearchQuery, decode_cursor


def search_query(args: dict[str, Any]) -> SearchQuery:
    """Build a SearchQuery from validated query args; a bad cursor raises InvalidQuery."""
    cursor = args.get("cursor")
    return SearchQuery(
        q=args.get("q"),
        filters={f: tuple(args.get(f) or ()) for f in FACETS if args.get(f)},
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
        sort=args.get("sort"),
        size=args.get("size", 10),
        facet_size=args.get("facet_size", 10),
        cursor=decode_cursor(cursor) if cursor else None,
    )

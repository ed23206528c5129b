"""The search skeleton both backends share: which sort, which snapshot, one page and its cursor.

A backend only compiles the query and fetches rows; how a page is cut and continued is decided
here once, so a cursor means the same on SQLite and on Elasticsearch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from indexer.errors import Conflict
from indexer.store.query import (
    Cursor,
    FacetBucket,
    SearchPage,
    SearchQuery,
    Sort,
    check_cursor,
    encode_cursor,
)


@dataclass(frozen=True)
class PagePlan:
    """How to fetch one page: the effective sort, the ingest-time horizon, rows to ask for."""

    sort: Sort
    snapshot_us: int
    fetch: int  # one more than the page size: the extra row says whether a next page exists


@dataclass(frozen=True)
class Row:
    """One fetched record with its sort key and id (the two halves of a cursor position)."""

    key: Any
    id: str
    doc: Any


def plan_page(query: SearchQuery, *, has_text: bool) -> PagePlan:
    """Check the cursor and decide the sort: relevance needs text to rank by, else newest."""
    check_cursor(query)
    sort = query.effective_sort
    if sort == "relevance" and not has_text:
        sort = "newest"
    return PagePlan(sort=sort, snapshot_us=query.snapshot_us(), fetch=query.size + 1)


def hit_fields(query: SearchQuery) -> tuple[str, ...] | None:
    """The record fields to read for partial hits: those asked for, the id, and what the
    public form derives them from (a demand's parties are named from the record's own)."""
    if query.fields is None:
        return None
    wanted = dict.fromkeys(("id", *query.fields))
    if "demands" in wanted:
        wanted["parties"] = None
    return tuple(wanted)


def partial(fields: tuple[str, ...]) -> Callable[[Any], Any]:
    """A decoder keeping only ``fields`` of a stored record's JSON."""

    def keep(doc: Any) -> Any:
        return {name: doc[name] for name in fields if name in doc}

    return keep


def cut_page(
    rows: Sequence[Row],
    plan: PagePlan,
    query: SearchQuery,
    *,
    total: int,
    facets: Mapping[str, list[FacetBucket]],
    decode: Callable[[Any], Any],
) -> SearchPage:
    """The page of at most ``query.size`` hits, and the cursor after its last hit if more exist."""
    next_cursor = None
    if len(rows) > query.size:
        last = rows[query.size - 1]
        next_cursor = encode_cursor(
            Cursor(plan.sort, (last.key, last.id), plan.snapshot_us, query.fingerprint())
        )
    return SearchPage(
        hits=[decode(row.doc) for row in rows[: query.size]],
        total=total,
        facets=facets,
        next_cursor=next_cursor,
    )


def final_target(event_id: str, redirect_of: Callable[[str], str | None]) -> str:
    """Follow a redirect chain (an event merged into one that was merged again) to its end.

    ``redirect_of`` gives where an id points, or None for a live or unknown id; a cycle stops
    at the last id before it repeats.
    """
    seen = {event_id}
    while True:
        target = redirect_of(event_id)
        if target is None or target in seen:
            return event_id
        event_id = target
        seen.add(event_id)


def article_taken(article_id: str) -> Conflict:
    """The one wording of "this id already holds other content", on every backend."""
    return Conflict(
        f"article {article_id} already exists with different content; "
        "delete it first or post without an id"
    )


def changed_since(kind: str, record_id: str, version: str | None) -> Conflict:
    """The one wording of a failed compare-and-set."""
    return Conflict(f"{kind} {record_id} changed since version {version}")

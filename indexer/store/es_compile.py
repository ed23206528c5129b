"""Documents and queries for Elasticsearch, as pure functions: records in, request bodies out.

Kept apart from the backend so they can be unit-tested without a server and reused by the
benchmark's bulk loader and its minimal-query floor. Facets are flat ``keyword`` fields:
``facets.<name>`` holds the values a filter matches, ``facet_labels.<name>`` the same values
with their display label (``value\\x1flabel``) for the terms aggregation, so one ordinary terms
aggregation per facet gives counts and labels together (no nested documents).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from indexer.facets import (
    FacetTerms,
    event_day,
    event_facet_terms,
    facet_terms,
    story_day,
    story_facet_terms,
)
from indexer.models import Article, Event, Story
from indexer.store import mapping
from indexer.store.paging import PagePlan
from indexer.store.query import FacetBucket, SearchQuery
from indexer.store.query import words as query_words
from indexer.timefmt import day_after, day_start, iso_to_us, utc_iso

#: What choosing an event reads of each candidate (never its whole record).
CANDIDATE_FIELDS = ("doc.id", "doc.signature", "doc.first_seen")

#: Joins a facet value and its label in ``facet_labels``; never part of either.
LABEL_SEPARATOR = "\x1f"

#: Sort clauses per sort order; ``id`` breaks ties so every position is unique for the cursor.
SORTS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
    "newest": [
        {"published_utc": {"order": "desc", "missing": mapping.MISSING_NEWEST}},
        {"id": {"order": "asc"}},
    ],
    "oldest": [
        {"published_utc": {"order": "asc", "missing": mapping.MISSING_OLDEST}},
        {"id": {"order": "asc"}},
    ],
}


def fold(text: str) -> str:
    """Drop diacritics (Genève -> geneve), as FTS5's ``remove_diacritics`` does."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def search_text(text: str | None) -> str:
    """Lower-case folded words separated by spaces: what the ``standard`` analyzer indexes."""
    return " ".join(fold(w) for w in query_words(unicodedata.normalize("NFC", text or "")))


def facet_fields(terms: FacetTerms) -> dict[str, Any]:
    """Filter values and labelled values per facet; a value's first label wins, as in SQLite."""
    values: dict[str, dict[str, str]] = {}
    for facet, pairs in terms.items():
        labels = values.setdefault(facet, {})
        for value, label in pairs:
            labels.setdefault(value, label)
    return {
        "facets": {facet: list(labels) for facet, labels in values.items()},
        "facet_labels": {
            facet: [f"{value}{LABEL_SEPARATOR}{label}" for value, label in labels.items()]
            for facet, labels in values.items()
        },
    }


def article_document(article: Article) -> dict[str, Any]:
    """The indexed form of an article; ``doc`` keeps the record itself, untouched."""
    published = utc_iso(article.published_at)
    return {
        "id": article.id,
        "title": search_text(article.title),
        "text": search_text(article.text),
        "source": article.source,
        "published_at": published,
        "published_utc": published,
        "indexed_us": iso_to_us(article.indexed_at),
        "content_hash": article.content_hash,
        "event_id": article.event_id,
        "duplicate_of": article.duplicate_of,
        **facet_fields(facet_terms(article)),
        "doc": article.to_dict(),
    }


def event_document(event: Event, text: str) -> dict[str, Any]:
    """The indexed form of a live event: found by ``text``, dated by its day."""
    day = event_day(event)
    published = day_start(day) if day else None
    return {
        "id": event.id,
        "title": search_text(event.title),
        "text": search_text(text),
        "published_at": published,
        "published_utc": published,
        "indexed_us": iso_to_us(event.first_seen),
        "story_id": event.story_id,
        **facet_fields(event_facet_terms(event)),
        "doc": event.to_dict(),
    }


def story_document(story: Story, text: str) -> dict[str, Any]:
    """The indexed form of a live story: found by ``text``, dated by its latest event."""
    day = story_day(story)
    published = day_start(day) if day else None
    return {
        "id": story.id,
        "title": search_text(story.title),
        "text": search_text(text),
        "published_at": published,
        "published_utc": published,
        "indexed_us": iso_to_us(story.first_seen),
        **facet_fields(story_facet_terms(story)),
        "doc": story.to_dict(),
    }


def match(text: str) -> dict[str, Any]:
    """A word or phrase (already folded) in the title or in the text."""
    # A phrase query even for one word: a word the analyzer splits further (e.g. CJK) must
    # still match as adjacent tokens, like an FTS5 "string".
    return {"multi_match": {"query": text, "fields": ["title", "text"], "type": "phrase"}}


def text_clauses(query: SearchQuery) -> list[dict[str, Any]]:
    """Every word and quoted phrase must occur, each within the title or within the text."""
    return [match(fold(term.text)) for term in query.terms()]


def facet_filters(
    filters: Mapping[str, tuple[str, ...]], facets: tuple[str, ...]
) -> list[dict[str, Any]]:
    """OR within a facet (``terms``), AND across facets (one clause each)."""
    clauses: list[dict[str, Any]] = []
    for facet, values in sorted(filters.items()):
        if not values:
            continue
        if facet not in facets:
            clauses.append({"match_none": {}})  # an unknown facet has no values to match
        else:
            clauses.append({"terms": {f"facets.{facet}": list(values)}})
    return clauses


def facet_agg(facet: str, query: SearchQuery) -> dict[str, Any]:
    """Count records per value of ``facet`` under the filters of the other facets."""
    terms = {
        "terms": {
            "field": f"facet_labels.{facet}",
            # A value seen with two labels splits into two buckets, merged again by value in
            # :func:`buckets`; a little headroom keeps both halves inside the top values.
            "size": query.facet_size * 2,
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    }
    others = facet_filters(query.other_filters(facet), query.facets)
    if not others:
        return terms
    return {"filter": {"bool": {"filter": others}}, "aggs": {"values": terms}}


def buckets(agg: dict[str, Any], size: int) -> list[FacetBucket]:
    """Facet buckets from one facet's aggregation result: counts by value, smallest label."""
    raw = agg["values"]["buckets"] if "values" in agg else agg["buckets"]
    counts: dict[str, int] = {}
    labels: dict[str, str] = {}
    for bucket in raw:
        value, _, label = str(bucket["key"]).partition(LABEL_SEPARATOR)
        counts[value] = counts.get(value, 0) + int(bucket["doc_count"])
        labels[value] = min(labels.get(value, label), label)
    ordered = sorted(counts, key=lambda v: (-counts[v], v))[:size]
    return [FacetBucket(value=v, label=labels[v], count=counts[v]) for v in ordered]


def search_request(
    query: SearchQuery,
    plan: PagePlan,
    scope: Sequence[dict[str, Any]],
    source: Sequence[str] = ("doc",),
) -> dict[str, Any]:
    """The one search request for a page: hits, exact total and every facet's counts."""
    base: list[dict[str, Any]] = [*scope, {"range": {"indexed_us": {"lte": plan.snapshot_us}}}]
    dates: dict[str, str] = {}
    if query.date_from:
        dates["gte"] = day_start(query.date_from)
    if query.date_to:
        dates["lt"] = day_after(query.date_to)
    if dates:
        base.append({"range": {"published_at": dates}})
    selected = facet_filters(query.filters, query.facets)
    request: dict[str, Any] = {
        "query": {"bool": {"must": text_clauses(query), "filter": base}},
        "aggs": {f: facet_agg(f, query) for f in query.facets},
        "sort": SORTS[plan.sort],
        "size": plan.fetch,
        "track_total_hits": True,
        "source_includes": list(source),
    }
    if selected:
        # Facet selections filter the hits only; each facet's counts apply the others'.
        request["post_filter"] = {"bool": {"filter": selected}}
    if query.cursor is not None:
        request["search_after"] = list(query.cursor.after)
    return request


def candidates_request(terms: Sequence[str], limit: int) -> dict[str, Any] | None:
    """Live events matching any of ``terms`` (like FTS5 ``"a" OR "b"``), best first."""
    words = list(dict.fromkeys(fold(w) for t in terms for w in query_words(t)))
    if not words:
        return None
    return {
        "query": {
            "bool": {
                "should": [match(w) for w in words],
                "minimum_should_match": 1,
                "must_not": [{"exists": {"field": "redirect_to"}}],
            }
        },
        "sort": SORTS["relevance"],
        "size": limit,
        "source_includes": list(CANDIDATE_FIELDS),
    }

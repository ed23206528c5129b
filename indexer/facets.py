"""Which facet values an article carries: one pure function both store backends index."""

from __future__ import annotations

from collections.abc import Sequence

from indexer.models import Article, Event, Story
from indexer.timefmt import utc_iso

FacetTerms = dict[str, list[tuple[str, str]]]


def facet_terms(article: Article) -> FacetTerms:
    """Map each facet to the (value, label) pairs of this article, without duplicates."""
    names = {p.id: p.name for p in article.parties}
    terms: FacetTerms = {
        "party": [(p.id, p.name) for p in article.parties],
        "venue": [(v.id, v.name) for v in article.venues],
        "place": [(p.id, p.name) for p in article.places],
        "source": [(article.source, article.source)] if article.source else [],
        "month": [(month, month)] if (month := (utc_iso(article.published_at) or "")[:7]) else [],
        "demand_by": [(d.claimant, names.get(d.claimant, d.claimant)) for d in article.demands],
        "demand_of": [
            (d.addressee, names.get(d.addressee, d.addressee))
            for d in article.demands
            if d.addressee
        ],
    }
    return {facet: list(dict.fromkeys(pairs)) for facet, pairs in terms.items()}


def event_facet_terms(event: Event) -> FacetTerms:
    """Facet values of a merged event: its parties, main venue, demands, sources, month, type."""
    names = {p.id: p.name for p in event.parties}
    month = event.date.value[:7] if event.date and len(event.date.value) >= 7 else ""
    terms: FacetTerms = {
        "party": [(p.id, p.name) for p in event.parties],
        "venue": [(event.venue.id, event.venue.name)] if event.venue else [],
        "source": [(s, s) for s in event.sources],
        "month": [(month, month)] if month else [],
        "demand_by": [(d.claimant, names.get(d.claimant, d.claimant)) for d in event.demands],
        "demand_of": [
            (d.addressee, names.get(d.addressee, d.addressee))
            for d in event.demands
            if d.addressee
        ],
        "type": [(event.type, event.type)] if event.type else [],
    }
    return {facet: list(dict.fromkeys(pairs)) for facet, pairs in terms.items()}


def event_day(event: Event) -> str | None:
    """The event's date as a day for range filters and sorting (a month counts as its 1st)."""
    if event.date is None:
        return None
    value = event.date.value
    if len(value) == 10:
        return value
    if len(value) == 7:
        return f"{value}-01"
    return None


LEAD_CHARS = 1500
TEXT_CHARS = 30_000


def event_text(articles: Sequence[Article]) -> str:
    """What an event is found by: its articles' titles and leads (bounded for big events).

    Only the first articles fit in the bound, so a big event's text stops changing early.
    """
    parts: list[str] = []
    size = 0
    for article in articles:
        if size >= TEXT_CHARS:
            break
        part = f"{article.title or ''}\n{article.text[:LEAD_CHARS]}"
        parts.append(part)
        size += len(part) + 2
    return "\n\n".join(parts)[:TEXT_CHARS]


def story_facet_terms(story: Story) -> FacetTerms:
    """Facet values of a story: its parties, its events' venues, sources and months."""
    terms: FacetTerms = {
        "party": [(p.id, p.name) for p in story.parties],
        "venue": [(e.venue_id, e.venue or e.venue_id) for e in story.events if e.venue_id],
        "source": [(s, s) for s in story.sources],
        "month": [(e.date[:7], e.date[:7]) for e in story.events if e.date and len(e.date) >= 7],
    }
    return {facet: list(dict.fromkeys(pairs)) for facet, pairs in terms.items()}


def story_day(story: Story) -> str | None:
    """A story's date for range filters and sorting: its latest event's day."""
    days = [e.date for e in story.events if e.date and len(e.date) == 10]
    return max(days) if days else None


def story_text(story: Story) -> str:
    """What a story is found by: its events' titles, and what it announces."""
    parts = [e.title for e in story.events] + [
        f"{h.what or ''} {h.venue}" for h in story.announced
    ]
    return "\n".join(parts)[:TEXT_CHARS]

"""Which facet values an article carries: one pure function both store backends index."""

from __future__ import annotations

from storyrecords.indexer.models import Article
from storyrecords.indexer.timefmt import utc_iso

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

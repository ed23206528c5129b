"""Put a newly stored article into its event: find candidates in the store, choose, merge, save.

Assignment is incremental (only the candidates the store retrieves are scored, and only the
chosen event is re-merged) and deterministic for the same input order. It runs under the
store's assignment lock, so two articles of one event ingested at the same moment end up in
one event; event writes are compare-and-set on the event's version besides, and retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from indexer.errors import Conflict, Moved, NotFound
from indexer.events import similarity
from indexer.events.merge import merge_event
from indexer.models import Article, Event
from indexer.store.base import Store
from indexer.timefmt import now_iso

log = logging.getLogger(__name__)

CANDIDATES = 20
RETRIEVAL_TERMS = 10
ATTEMPTS = 5
#: Two existing events are folded into one only when they match each other this well; lower
#: values let articles with shared background bridge different happenings (ECB+ B³ F1 through
#: the store: 0.25 -> 0.869, 0.45 -> 0.896, 0.6 -> 0.902, never folding -> 0.900).
FOLD_THRESHOLD = 0.6


def event_id_for(article: Article) -> str:
    """A new event is named after the article that founded it: stable across reindexing."""
    return "e" + article.id.removeprefix("a")


def _free_event_id(store: Store, article: Article) -> str:
    """The article's event id, or a numbered variant when that id is taken.

    It can be: an article deleted and posted again after its event was merged into another
    leaves a redirect under the old id.
    """
    base = event_id_for(article)
    for n in range(1, 100):
        candidate = base if n == 1 else f"{base}-{n}"
        try:
            store.get_event(candidate)
        except NotFound:
            return candidate
        except Moved:
            continue
    raise Conflict(f"no free event id for article {article.id}")


def assign_article(store: Store, article: Article) -> Event:
    """Assign ``article`` (already stored) to an event and return the event as stored."""
    for attempt in range(ATTEMPTS):
        try:
            with store.assignment_lock():
                return _assign_once(store, article)
        except Conflict:
            log.info("event changed under us, retrying (attempt %d)", attempt + 1)
    raise Conflict(f"could not assign article {article.id} after {ATTEMPTS} attempts")


def _assign_once(store: Store, article: Article) -> Event:
    signature = similarity.signature(article)
    terms = similarity.retrieval_terms(article, RETRIEVAL_TERMS)
    candidates = [e for e in store.candidate_events(terms, CANDIDATES) if e.signature]
    scored = [
        (e, similarity.similarity(signature, similarity.Signature.from_dict(e.signature or {})))
        for e in candidates
        if article.id not in e.articles
    ]
    matches = sorted(
        (pair for pair in scored if pair[1] >= similarity.THRESHOLD),
        key=lambda pair: (-round(pair[1], 9), pair[0].id),
    )
    now = now_iso()
    if not matches:
        event = merge_event(
            _free_event_id(store, article),
            [article],
            first_seen=now,
            last_updated=now,
            signature=signature.to_dict(),
        )
        store.put_event(event, version=None, text=event_text([article]))
        store.set_article_event(article.id, event.id)
        return event
    return _join(store, article, signature, [e for e, _ in matches], now)


def _join(
    store: Store,
    article: Article,
    signature: similarity.Signature,
    events: Sequence[Event],
    now: str,
) -> Event:
    """Join the best event; other matching events that also match it are folded in.

    An article that matches two events which match each other is evidence they report one
    happening: the oldest event keeps its id, the others redirect to it.
    """
    best, *others = events  # best match first
    best_sig = similarity.Signature.from_dict(best.signature or {})
    # Fold only events that also match the best one: an article bridging two different
    # happenings (a background paragraph) must not merge them.
    events = [best] + [
        e for e in others
        if similarity.similarity(similarity.Signature.from_dict(e.signature or {}), best_sig)
        >= FOLD_THRESHOLD
    ]
    keep = min(events, key=lambda e: (e.first_seen, e.id))
    absorbed = [e for e in events if e.id != keep.id]
    _, version = store.get_event(keep.id)
    members = list(store.articles_of_event(keep.id))
    combined = similarity.Signature.from_dict(keep.signature or {})
    merged_from = list(keep.merged_from)
    for other in absorbed:
        members += store.articles_of_event(other.id)
        combined = similarity.combine(
            combined, similarity.Signature.from_dict(other.signature or {})
        )
        merged_from += [other.id, *other.merged_from]
    members.append(article)
    combined = similarity.combine(combined, signature)
    event = merge_event(
        keep.id,
        _unique(members),
        first_seen=min(e.first_seen for e in events),
        last_updated=now,
        merged_from=merged_from,
        signature=combined.to_dict(),
    )
    store.put_event(event, version=version, text=event_text(members))
    for other in absorbed:
        _, other_version = store.get_event(other.id)
        store.retire_event(other.id, keep.id, version=other_version)
    for member in event.articles:
        store.set_article_event(member, event.id)
    return event


def remove_article(store: Store, article: Article) -> None:
    """After ``article`` was deleted: re-merge its event from the rest, or drop the event."""
    if article.event_id is None:
        return
    for _ in range(ATTEMPTS):
        try:
            with store.assignment_lock():
                try:
                    event, version = store.get_event(article.event_id)
                except NotFound:
                    return
                rest = [a for a in store.articles_of_event(event.id) if a.id != article.id]
                if not rest:
                    store.delete_event(event.id, version=version)
                    return
                signature = similarity.signature(rest[0])
                for other in rest[1:]:
                    signature = similarity.combine(signature, similarity.signature(other))
                merged = merge_event(
                    event.id,
                    rest,
                    first_seen=event.first_seen,
                    last_updated=now_iso(),
                    merged_from=event.merged_from,
                    signature=signature.to_dict(),
                )
                store.put_event(merged, version=version, text=event_text(rest))
                return
        except Conflict:
            continue
    raise Conflict(f"could not update the event of deleted article {article.id}")


LEAD_CHARS = 1500
TEXT_CHARS = 30_000


def event_text(articles: Sequence[Article]) -> str:
    """What an event is found by: its articles' titles and leads (bounded for big events)."""
    parts = [f"{a.title or ''}\n{a.text[:LEAD_CHARS]}" for a in articles]
    return "\n\n".join(parts)[:TEXT_CHARS]


def _unique(articles: Sequence[Article]) -> list[Article]:
    return list({a.id: a for a in articles}.values())

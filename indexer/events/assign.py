"""Put a stored article into its event, and take a deleted one out, safely under races and faults.

Membership has one record of truth: the article's own ``event_id``, written compare-and-set on
the article's version. Everything else is derived from it and can be recomputed: an event's
article list, its merged fields and signature, its search documents. So:

* a join is two writes however big the event: the article (truth), then the event (derived);
* two attempts at one article (a client's retry, a second worker) cannot put it in two events:
  the second compare-and-set fails, and the loser finishes the winner's work instead;
* the assignment lock only saves wasted work; a holder that lost its lease cannot overwrite
  anything, because every write checks the version it read;
* a crash between the two writes leaves the event lagging its truth: the next touch of that
  article (a retry, ``storyrecords check --repair``) completes it.

Candidates are retrieved before the lock is taken; under the lock, events founded since are
added, so two articles of a new happening assigned side by side still meet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from indexer.errors import Conflict, Moved, NotFound
from indexer.events import similarity, splits
from indexer.events.merge import merge_event
from indexer.events.story_assign import choose_story_id, leave_story, update_story
from indexer.facets import event_text
from indexer.models import Article, Event
from indexer.store.base import Candidate, Store
from indexer.timefmt import now_iso

log = logging.getLogger(__name__)

CANDIDATES = 20
RETRIEVAL_TERMS = 10
ATTEMPTS = 5
#: Two existing events are folded into one only when they match each other this well; lower
#: values let articles with shared background bridge different happenings (ECB+ B³ F1 through
#: the store: 0.25 -> 0.869, 0.45 -> 0.896, 0.6 -> 0.902, never folding -> 0.900).
FOLD_THRESHOLD = 0.6
#: Events founded this long before our candidate search began are looked at again under the
#: lock: clocks of different processes need not agree to the microsecond.
RECENT_MARGIN_US = 5_000_000


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
    """Assign ``article`` (already stored) to an event and return the event as stored.

    Safe to call again for the same article, from any process: an article already assigned is
    only checked (and its event completed if a crash left it lagging).
    """
    signature = similarity.signature(article)
    terms = similarity.retrieval_terms(article, RETRIEVAL_TERMS)
    for attempt in range(ATTEMPTS):
        current, version = store.get_article_versioned(article.id)
        try:
            if current.event_id is not None:
                with store.assignment_lock():
                    return settle(store, article.id)
            looked_at = time.time_ns() // 1000 - RECENT_MARGIN_US
            candidates = store.candidate_events(terms, CANDIDATES)
            with store.assignment_lock():
                # No second read: if another attempt assigned it meanwhile, the membership
                # write below fails its version check and the next round settles instead.
                return _assign_once(store, current, version, signature, candidates, looked_at)
        except Conflict:
            log.info("article %s or its event changed under us, retrying (attempt %d)",
                     article.id, attempt + 1)
    raise Conflict(f"could not assign article {article.id} after {ATTEMPTS} attempts")


def _assign_once(
    store: Store,
    article: Article,
    version: str,
    signature: similarity.Signature,
    candidates: Sequence[Candidate],
    looked_at: int,
) -> Event:
    pool = {e.id: e for e in [*candidates, *store.events_founded_since(looked_at)] if e.signature}
    scored = [
        (e, similarity.similarity(signature, similarity.decoded(e.signature)))
        for e in pool.values()
    ]
    matches = sorted(
        (pair for pair in scored if pair[1] >= similarity.THRESHOLD),
        key=lambda pair: (-round(pair[1], 9), pair[0].id),
    )
    live = _live_events(store, [e for e, _ in matches])
    original = _event_of_original(store, article)
    if original is not None:  # a syndicated copy joins its original's event, whatever it scores
        live = [original, *(pair for pair in live if pair[0].id != original[0].id)]
    if not live:
        event_id = _free_event_id(store, article)
        store.set_article_event(article.id, event_id, version=version)
        return rederive(store, event_id, adding=[article])
    return _join(store, article, version, signature, live)


def _event_of_original(store: Store, article: Article) -> tuple[Event, str] | None:
    """The live event of the article ``article`` is a copy of (``duplicate_of``), if any."""
    if article.duplicate_of is None:
        return None
    try:
        event_id = store.get_article(article.duplicate_of).event_id
        if event_id is None:
            return None
        try:
            return store.get_event(event_id)
        except Moved as moved:
            return store.get_event(moved.new_id)
    except (NotFound, Moved):
        return None


def _live_events(store: Store, events: Sequence[Candidate]) -> list[tuple[Event, str]]:
    """Candidates as they are now: a search can lag, so read each one and follow redirects."""
    found: dict[str, tuple[Event, str]] = {}
    for event in events:
        try:
            current = store.get_event(event.id)
        except Moved as moved:
            try:
                current = store.get_event(moved.new_id)
            except (NotFound, Moved):
                continue
        except NotFound:
            continue
        found.setdefault(current[0].id, current)
    return list(found.values())


def _join(
    store: Store,
    article: Article,
    version: str,
    signature: similarity.Signature,
    events: Sequence[tuple[Event, str]],
) -> Event:
    """Join the best event; other matching events that also match it are folded in.

    An article that matches two events which match each other is evidence they report one
    happening: the oldest event keeps its id, the others redirect to it.
    """
    (best, best_version), *others = events  # best match first
    best_sig = similarity.decoded(best.signature)
    # Fold only events that also match the best one: an article bridging two different
    # happenings (a background paragraph) must not merge them.
    folding = [events[0]] + [
        (e, v) for e, v in others
        if not split_kin(e, best)
        and similarity.similarity(similarity.decoded(e.signature), best_sig)
        >= FOLD_THRESHOLD
    ]
    keep = min((e for e, _ in folding), key=lambda e: (e.first_seen, e.id))
    absorbed = [(e, v) for e, v in folding if e.id != keep.id]
    store.set_article_event(article.id, keep.id, version=version)  # the truth: it is a member
    for other, other_version in absorbed:
        for member in other.articles:
            _move(store, member, from_id=other.id, to_id=keep.id)
        store.retire_event(other.id, keep.id, version=other_version)
        leave_story(store, other.id, other.story_id, into=keep.story_id)
    joined = rederive(
        store, keep.id, adding=[article], signatures=[signature],
        absorbed=[e for e, _ in absorbed],
        known=(best, best_version) if keep.id == best.id and not absorbed else None,
    )
    return _maybe_split(store, joined, article.id)


def split_kin(a: Event, b: Event) -> bool:
    """Were ``a`` and ``b`` cut apart by a split (one from the other, or both from one)?

    A split found two happenings in the members themselves; an article that matches both
    parts (twins share every word but the names) is no evidence they are one after all.
    Folding them back would undo the split at every next article.
    """
    return (a.id in b.split_into or b.id in a.split_into or a.split_from == b.id
            or b.split_from == a.id or (a.split_from is not None
                                        and a.split_from == b.split_from))


def _checkpoint(size: int) -> bool:
    """Sizes at which an event is checked for holding two happenings: 4, 6, 8, 12, 16, 24, …

    Checking reads and compares every member; at roughly doubling sizes that costs a constant
    amount per join on average, however big events grow.
    """
    if size < 4:
        return False
    while size > 8 and size % 2 == 0:
        size //= 2
    return size in (4, 6, 8)


def _maybe_split(store: Store, event: Event, article_id: str) -> Event:
    """Split ``event`` when its members show two happenings; the event ``article_id`` is in.

    The largest part keeps the id; each other part becomes an event of the same story with
    ``split_from`` naming this one, which lists them in ``split_into``. Each moved article is
    a compare-and-set of its membership, like any move.
    """
    if not _checkpoint(len(event.articles)):
        return event
    members = store.get_articles(event.articles)
    plan = splits.split_plan(event, [m for m in members if m.event_id == event.id])
    if plan is None or len(plan) < 2:
        return event
    by_id = {m.id: m for m in members}
    ended_in = event
    new_ids: list[str] = []
    for part in plan[1:]:
        earliest = min((by_id[i] for i in part), key=lambda a: (a.indexed_at, a.id))
        new_id = _free_event_id(store, earliest)
        for member in part:
            _move(store, member, from_id=event.id, to_id=new_id)
        moved = [a for a in store.get_articles(part) if a.event_id == new_id]
        if not moved:
            continue
        part_event = rederive(store, new_id, adding=moved,
                              founding={"story_id": event.story_id, "split_from": event.id})
        new_ids.append(new_id)
        if article_id in part:
            ended_in = part_event
    log.info("split event %s: %d parts moved out (%s)", event.id, len(new_ids), new_ids)
    kept = rederive(store, event.id, split_into=new_ids)
    return kept if ended_in is event else ended_in


def _move(store: Store, article_id: str, *, from_id: str, to_id: str) -> None:
    """Move one member of a folded event (compare-and-set; skipped if it moved elsewhere)."""
    for _ in range(ATTEMPTS):
        try:
            member, version = store.get_article_versioned(article_id)
        except NotFound:
            return
        if member.event_id != from_id:
            return
        try:
            store.set_article_event(article_id, to_id, version=version)
            return
        except Conflict:
            continue
    raise Conflict(f"article {article_id} keeps changing while its event is folded")


def rederive(
    store: Store,
    event_id: str,
    *,
    adding: Sequence[Article] = (),
    signatures: Sequence[similarity.Signature] = (),
    absorbed: Sequence[Event] = (),
    known: tuple[Event, str] | None = None,
    founding: dict[str, str | None] | None = None,
    split_into: Sequence[str] = (),
) -> Event:
    """Recompute an event's record from its members' truth, and store it (compare-and-set).

    Members are the event's listed articles plus ``adding`` and the articles of ``absorbed``
    events, kept only where the article's own ``event_id`` says so. A missing event is
    founded. Two writes (this and the article's) per join, however many members. ``known``
    is the event as just read, to save reading it again (a stale one only costs a retry).
    """
    for _ in range(ATTEMPTS):
        if known is not None:
            (event, version), known = known, None
        else:
            try:
                event, version = store.get_event(event_id)
            except NotFound:
                event, version = None, None
        listed = list(event.articles) if event else []
        ids = [*listed, *(a.id for a in adding), *(i for e in absorbed for i in e.articles)]
        members = [a for a in store.get_articles(ids) if a.event_id == event_id]
        if not members:
            raise Conflict(f"event {event_id} has no members to derive it from")
        now = now_iso()
        if event is None:
            combined = _signature_of(members)
            first_seen, merged_from = now, [e.id for e in absorbed]
        else:
            combined = similarity.Signature.from_dict(event.signature or {})
            new = [a for a in members if a.id not in set(listed)]
            given = {a.id: s for a, s in zip(adding, signatures, strict=False)}
            for article in new:
                combined = similarity.combine(
                    combined, given.get(article.id) or similarity.signature(article)
                )
            first_seen = min([event.first_seen, *(e.first_seen for e in absorbed)])
            folded = [x for e in absorbed for x in (e.id, *e.merged_from)]
            merged_from = [*event.merged_from, *folded]
        merged = merge_event(
            event_id, members, first_seen=first_seen, last_updated=now,
            merged_from=merged_from, signature=combined.to_dict(),
        )
        if event is None and founding is not None:  # split off an event: its story, lineage
            merged = replace(merged, story_id=founding.get("story_id"),
                             split_from=founding.get("split_from"))
        elif event is None:  # a new happening: which story does it continue?
            merged = replace(merged, story_id=choose_story_id(store, merged))
        else:  # the event-level facts a re-derivation keeps
            merged = replace(
                merged, story_id=event.story_id, split_from=event.split_from,
                split_into=tuple(dict.fromkeys([*event.split_into, *split_into])),
            )
        try:
            store.put_event(merged, version=version, text=event_text(members))
        except Conflict:
            continue  # another writer updated it: read it again and add ours
        update_story(store, merged)
        return merged
    raise Conflict(f"event {event_id} keeps changing; could not update it")


def _signature_of(articles: Sequence[Article]) -> similarity.Signature:
    combined = similarity.signature(articles[0])
    for other in articles[1:]:
        combined = similarity.combine(combined, similarity.signature(other))
    return combined


def settle(store: Store, article_id: str) -> Event:
    """Make sure an assigned article's event lists it; finish what a crash or race left.

    An article pointing at a folded event moves to the survivor; one pointing at an event that
    was never written (a crash between the two writes) founds it.
    """
    article, version = store.get_article_versioned(article_id)
    if article.event_id is None:
        raise Conflict(f"article {article_id} is not assigned yet")
    try:
        event, _ = store.get_event(article.event_id)
    except Moved as moved:
        store.set_article_event(article_id, moved.new_id, version=version)
        return rederive(store, moved.new_id, adding=[article])
    except NotFound:
        return rederive(store, article.event_id, adding=[article])
    if article_id in event.articles:
        return event
    return rederive(store, event.id, adding=[article])


def detach_article(store: Store, article: Article) -> None:
    """Before ``article`` is deleted: re-derive its event without it, or drop the event.

    Runs before the article's record goes, so a failure in between leaves the truth (the
    article, still a member) intact and a retry or ``check --repair`` puts it right.
    """
    if article.event_id is None:
        return
    for _ in range(ATTEMPTS):
        try:
            with store.assignment_lock():
                try:
                    event, version = store.get_event(article.event_id)
                except (NotFound, Moved):
                    return
                rest_ids = [i for i in event.articles if i != article.id]
                rest = [a for a in store.get_articles(rest_ids) if a.event_id == event.id]
                if not rest:
                    store.delete_event(event.id, version=version)
                    leave_story(store, event.id, event.story_id, into=None)
                    return
                merged = replace(
                    merge_event(
                        event.id,
                        rest,
                        first_seen=event.first_seen,
                        last_updated=now_iso(),
                        merged_from=event.merged_from,
                        signature=_signature_of(rest).to_dict(),
                    ),
                    story_id=event.story_id, split_from=event.split_from,
                    split_into=event.split_into,
                )
                store.put_event(merged, version=version, text=event_text(rest))
                update_story(store, merged)
                return
        except Conflict:
            continue
    raise Conflict(f"could not update the event of deleted article {article.id}")

"""The story record, derived from its events: timeline, what is still announced, who takes part.

Pure, like :func:`indexer.events.merge.merge_event`. Membership itself is each event's
``story_id``; the record only summarises it. :func:`build_story` derives it from all the
events (repairs, rebuilds); :func:`with_event` and :func:`without_event` change one entry,
so a join costs one story read and one write however long the story is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from indexer.events import stories
from indexer.models import Event, Happening, PartyKind, Story, StoryEvent, StoryParty


def story_id_for(event: Event) -> str:
    """A new story is named after the event that began it (stable across reindexing)."""
    return "s" + event.id.removeprefix("e")


def entry(event: Event) -> StoryEvent:
    """An event as one line of a story's timeline."""
    return StoryEvent(
        event_id=event.id,
        title=event.title,
        date=stories.event_day(event),
        venue_id=event.venue.id if event.venue else None,
        venue=event.venue.name if event.venue else None,
        type=event.type,
        article_count=len(event.articles),
        first_seen=event.first_seen,
        parties=tuple(p.id for p in event.parties),
        sources=event.sources,
    )


def build_story(
    story_id: str, events: Sequence[Event], *, first_seen: str, last_updated: str
) -> Story:
    """The story of ``events`` (at least one), from scratch."""
    if not events:
        raise ValueError("a story needs at least one event")
    ordered = stories.timeline(events)
    signature = stories.story_signature(ordered)
    names = {p.id: (p.name, p.kind) for e in ordered for p in e.parties}
    return _summarise(
        story_id, [entry(e) for e in ordered], names, signature, first_seen, last_updated
    )


def with_event(story: Story, event: Event, *, last_updated: str) -> Story:
    """The story once ``event`` is added to it, or its entry brought up to date."""
    entries = [e for e in story.events if e.event_id != event.id]
    is_new = len(entries) == len(story.events)
    entries.append(entry(event))
    signature = stories.StorySignature.from_dict(story.signature or {})
    if is_new:
        signature = stories.add_event(signature, event)
    names = {p.id: (p.name, p.kind) for p in story.parties}
    names.update({p.id: (p.name, p.kind) for p in event.parties})
    return _summarise(story.id, entries, names, signature, story.first_seen, last_updated)


def without_event(story: Story, event_id: str, *, last_updated: str) -> Story | None:
    """The story once ``event_id`` has left it; None when nothing is left."""
    entries = [e for e in story.events if e.event_id != event_id]
    if not entries:
        return None
    names = {p.id: (p.name, p.kind) for p in story.parties}
    signature = stories.StorySignature.from_dict(story.signature or {})
    return _summarise(story.id, entries, names, signature, story.first_seen, last_updated)


def _summarise(
    story_id: str,
    entries: Sequence[StoryEvent],
    names: dict[str, tuple[str, PartyKind]],
    signature: stories.StorySignature,
    first_seen: str,
    last_updated: str,
) -> Story:
    ordered = sorted(entries, key=lambda e: (e.date or "9999-99-99", e.first_seen, e.event_id))
    counts = Counter(pid for e in ordered for pid in e.parties)
    announced = tuple(
        Happening(venue_id=a.venue_id, venue=a.venue, what=a.what, date=a.date, articles=())
        for a in signature.announced
    )
    return Story(
        id=story_id,
        title=_title(ordered),
        events=tuple(ordered),
        announced=announced,
        parties=tuple(
            StoryParty(id=pid, name=names.get(pid, (pid, "group"))[0],
                       kind=names.get(pid, (pid, "group"))[1], event_count=n)
            for pid, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        sources=tuple(sorted({s for e in ordered for s in e.sources})),
        first_seen=first_seen,
        last_updated=last_updated,
        signature=signature.to_dict(),
    )


def _title(ordered: Sequence[StoryEvent]) -> str:
    """The first happening's title, and where the story went from there."""
    first = ordered[0]
    later: list[str] = []
    for item in ordered[1:]:
        if item.venue and item.venue != first.venue and item.venue not in later:
            later.append(item.venue)
    return first.title if not later else f"{first.title}, then {', '.join(later[:3])}"


def replace_signature(story: Story, signature: stories.StorySignature) -> Story:
    """The story with a recomputed signature (after a repair)."""
    return replace(story, signature=signature.to_dict())

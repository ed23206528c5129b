"""Put a newly founded event into the story it continues, and keep story records up to date.

An event's ``story_id`` is written with the event (compare-and-set, like everything about
it); the story record is derived and updated after it, one entry at a time. A crash in
between leaves the story lagging its events, which ``storyrecords check --repair`` rebuilds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from indexer.errors import Conflict, Moved, NotFound
from indexer.events import stories
from indexer.events.story_record import build_story, story_id_for, with_event, without_event
from indexer.facets import event_text, story_text
from indexer.models import Event
from indexer.store.base import Store
from indexer.store.query import words
from indexer.timefmt import now_iso

log = logging.getLogger(__name__)

CANDIDATES = 10
ATTEMPTS = 5
#: Stories founded this recently are looked at besides the searched ones (under the
#: assignment lock; Elasticsearch makes a write searchable within a second).
RECENT_STORY_US = 10_000_000


def story_terms(event: Event) -> list[str]:
    """What a story continuing ``event`` would be found by: its title, places and actors."""
    found = words(event.title)
    if event.venue is not None:
        found += words(event.venue.name)
    for party in event.parties[:6]:
        found += words(party.name)
    return list(dict.fromkeys(w for w in found if len(w) > 2))[:24]


def choose_story_id(store: Store, event: Event) -> str:
    """The story a new event continues (or fulfils an announcement of), else a new one."""
    candidates = store.candidate_stories(story_terms(event), CANDIDATES)
    searched = {c.id for c in candidates}
    # Stories founded a moment ago may not be searchable yet (Elasticsearch refreshes each
    # second); they are scored like the others, so an unrelated one is simply not chosen.
    recent = store.stories_founded_since(time.time_ns() // 1000 - RECENT_STORY_US)
    pairs = [
        (c.id, stories.StorySignature.from_dict(c.signature))
        for c in [*candidates, *(r for r in recent if r.id not in searched)]
        if c.signature
    ]
    return stories.choose_story(event, pairs) or story_id_for(event)


def update_story(store: Store, event: Event) -> None:
    """Bring the record of ``event``'s story up to date with the event as just stored."""
    if event.story_id is None:
        return
    story_id = event.story_id
    for _ in range(ATTEMPTS):
        try:
            story, version = store.get_story(story_id)
        except Moved as moved:  # the story was merged into another: follow it
            story_id = moved.new_id
            continue
        except NotFound:
            story, version = None, None
        now = now_iso()
        updated = (
            with_event(story, event, last_updated=now) if story is not None
            else build_story(story_id, [event], first_seen=now, last_updated=now)
        )
        try:
            store.put_story(updated, version=version, text=story_text(updated))
            return
        except Conflict:
            continue
    log.warning("story %s kept changing; left for storyrecords check --repair", story_id)


def leave_story(store: Store, event_id: str, story_id: str | None, *, into: str | None) -> None:
    """``event_id`` is gone from ``story_id`` (folded into another event, or deleted).

    A story left without events redirects to ``into`` (the story of the event it was folded
    into) or is deleted.
    """
    if story_id is None:
        return
    for _ in range(ATTEMPTS):
        try:
            story, version = store.get_story(story_id)
        except (NotFound, Moved):
            return
        rest = without_event(story, event_id, last_updated=now_iso())
        try:
            if rest is not None:
                store.put_story(rest, version=version, text=story_text(rest))
            elif into is not None and into != story_id:
                store.retire_story(story_id, into, version=version)
            else:
                store.delete_story(story_id, version=version)
            return
        except Conflict:
            continue
    log.warning("story %s kept changing; left for storyrecords check --repair", story_id)


def rebuild_story(store: Store, story_id: str) -> None:
    """Derive a story afresh from the events whose ``story_id`` names it (repairs)."""
    events = store.events_of_story(story_id)
    try:
        story, version = store.get_story(story_id)
    except NotFound:
        story, version = None, None
    if not events:
        if story is not None and version is not None:
            store.delete_story(story_id, version=version)
        return
    first_seen = story.first_seen if story is not None else min(e.first_seen for e in events)
    fresh = build_story(story_id, events, first_seen=first_seen, last_updated=now_iso())
    store.put_story(fresh, version=version, text=story_text(fresh))


def place_event(store: Store, event_id: str) -> None:
    """Repair: give an event without a (live) story one, and bring that story up to date."""
    event, version = store.get_event(event_id)
    story_id = event.story_id
    if story_id is not None:
        try:
            store.get_story(story_id)
        except Moved as moved:
            story_id = moved.new_id
        except NotFound:
            pass  # its story's record is what is missing: rebuild it under the same id
    if story_id is None:
        story_id = choose_story_id(store, event)
    placed = replace(event, story_id=story_id)
    if placed != event:
        members = store.get_articles(event.articles)
        store.put_event(placed, version=version, text=event_text(members))
    rebuild_story(store, story_id)

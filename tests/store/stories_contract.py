"""The story half of the Store contract: stories are threads of events, kept on every backend.

Backend test classes mix this in next to the others; it uses their ``store_factory``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from indexer.check import IN_ONE_STORY, STORIES_MATCH, check
from indexer.errors import Conflict, Moved, NotFound
from indexer.events.story_record import build_story
from indexer.facets import story_text
from indexer.ingest import Indexer
from indexer.models import ArticleInput, Event
from indexer.store.base import Store
from indexer.store.query import STORY_FACETS, SearchQuery
from indexer.timefmt import now_iso
from tests.store.events_contract import GENEVA_TALKS, QUAKE, _extract

StoreFactory = Callable[[], Store]


class StoryStoreContract:
    """Founding, compare-and-set writes, redirects, search and checks of stories."""

    @pytest.fixture
    def story_store(self, store_factory: StoreFactory) -> Iterator[Store]:
        store = store_factory()
        yield store
        store.close()

    def _event(self, store: Store, text: str, source: str) -> Event:
        article = Indexer(store, _extract, "c").ingest(
            ArticleInput(text=text, source=source, published_at="2022-01-11")
        ).article
        event, _ = store.get_event(article.event_id or "")
        return event

    def test_a_new_event_founds_its_story_and_joins_keep_it(self, story_store: Store) -> None:
        first = self._event(story_store, GENEVA_TALKS[0], "a")
        assert first.story_id is not None
        again = self._event(story_store, GENEVA_TALKS[1], "b")
        assert again.id == first.id and again.story_id == first.story_id
        story, _ = story_store.get_story(first.story_id)
        assert [e.event_id for e in story.events] == [first.id]
        assert story.events[0].article_count == 2
        assert story.sources == ("a", "b")
        assert [e.id for e in story_store.events_of_story(first.story_id)] == [first.id]

    def test_story_writes_are_compare_and_set_and_retire_to_a_redirect(
        self, story_store: Store
    ) -> None:
        talks = self._event(story_store, GENEVA_TALKS[0], "a")
        quake = self._event(story_store, QUAKE, "b")
        assert talks.story_id and quake.story_id and talks.story_id != quake.story_id
        story, version = story_store.get_story(quake.story_id)
        newer = story_store.put_story(story, version=version, text=story_text(story))
        with pytest.raises(Conflict):
            story_store.put_story(story, version=version, text="stale")
        with pytest.raises(Conflict):
            story_store.put_story(story, version=None, text="second create")
        story_store.retire_story(quake.story_id, talks.story_id, version=newer)
        with pytest.raises(Moved) as moved:
            story_store.get_story(quake.story_id)
        assert moved.value.new_id == talks.story_id
        assert story_store.story_redirects() == {quake.story_id: talks.story_id}
        with pytest.raises(NotFound):
            story_store.get_story("s-missing")

    def test_stories_are_searchable_with_facets(self, story_store: Store) -> None:
        self._event(story_store, GENEVA_TALKS[0], "a")
        self._event(story_store, QUAKE, "b")
        story_store.refresh()
        everything = story_store.search_stories(SearchQuery(facets=STORY_FACETS))
        assert everything.total == 2
        parties = {b.value: b.count for b in everything.facets["party"]}
        assert parties["country:RU"] == 1 and parties["country:CL"] == 1
        chile = story_store.search_stories(
            SearchQuery(facets=STORY_FACETS, filters={"party": ("country:CL",)})
        )
        assert [s.title for s in chile.hits] == [
            story_store.get_story(chile.hits[0].id)[0].title
        ]
        words = story_store.search_stories(SearchQuery(q="geneva", facets=STORY_FACETS))
        assert words.total == 1
        assert [c.id for c in story_store.candidate_stories(["geneva"], 5)] == [
            words.hits[0].id
        ]

    def test_deleting_a_storys_last_event_deletes_the_story(self, story_store: Store) -> None:
        indexer = Indexer(story_store, _extract, "c")
        article = indexer.ingest(ArticleInput(text=QUAKE, source="a")).article
        event, _ = story_store.get_event(article.event_id or "")
        assert event.story_id is not None
        indexer.delete(article.id)
        with pytest.raises(NotFound):
            story_store.get_story(event.story_id)
        assert check(story_store).clean

    def test_check_rebuilds_a_story_that_lags_its_events(self, story_store: Store) -> None:
        talks = self._event(story_store, GENEVA_TALKS[0], "a")
        assert talks.story_id is not None
        # A crash between the event write and the story write: the story never heard of it.
        now = now_iso()
        quake = self._event(story_store, QUAKE, "b")
        assert quake.story_id is not None
        story, version = story_store.get_story(quake.story_id)
        empty_handed = build_story(quake.story_id, [talks], first_seen=now, last_updated=now)
        story_store.put_story(empty_handed, version=version, text=story_text(empty_handed))
        found = check(story_store)
        assert found.counts()[STORIES_MATCH] >= 1
        check(story_store, repair=True)
        assert check(story_store).clean
        story, _ = story_store.get_story(quake.story_id)
        assert [e.event_id for e in story.events] == [quake.id]

    def test_check_places_an_event_whose_story_is_missing(self, story_store: Store) -> None:
        talks = self._event(story_store, GENEVA_TALKS[0], "a")
        assert talks.story_id is not None
        _, version = story_store.get_story(talks.story_id)
        story_store.delete_story(talks.story_id, version=version)
        assert check(story_store).counts()[IN_ONE_STORY] == 1
        check(story_store, repair=True)
        assert check(story_store).clean
        assert story_store.get_story(talks.story_id)[0].events[0].event_id == talks.id

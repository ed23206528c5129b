"""The rebuild half of the Store contract: reindex switches atomically and loses nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from indexer.check import check
from indexer.errors import Moved, NotFound
from indexer.events.merge import merge_event
from indexer.ingest import Indexer
from indexer.models import ArticleInput, Extraction
from indexer.reindex import reindex
from indexer.store.base import Store
from indexer.store.query import EVENT_FACETS, SearchQuery
from indexer.timefmt import now_iso
from tests.store.events_contract import GENEVA_TALKS, QUAKE
from tests.store.events_contract import _extract as extract_v1

StoreFactory = Callable[[], Store]


def extract_v2(item: ArticleInput) -> Extraction:
    """A "newer extractor": same findings, so the rebuild must reproduce the same events."""
    return extract_v1(item)


class RebuildContract:
    """`storyrecords reindex` on every backend."""

    def test_reindex_rebuilds_everything_under_the_same_ids(
        self, store_factory: StoreFactory
    ) -> None:
        store, other_process = store_factory(), store_factory()
        indexer = Indexer(store, extract_v1, "v1")
        before = [
            indexer.ingest(ArticleInput(text=t, source=f"s{n}", published_at="2022-01-11")).article
            for n, t in enumerate([GENEVA_TALKS[0], GENEVA_TALKS[1], QUAKE])
        ]
        report = reindex(store, extract_v2, "v2", grace_seconds=0)
        assert (report.rebuilt, report.caught_up, report.removed) == (3, 0, 0)
        assert report.events == 2
        for old in before:
            # A store opened before the rebuild (another worker) sees the new generation too.
            for handle in (store, other_process):
                new = handle.get_article(old.id)
                assert new.extractor_version == "v2"
                assert new.event_id == old.event_id
                assert new.content_hash == old.content_hash
        other_process.refresh()
        assert other_process.search_events(SearchQuery(facets=EVENT_FACETS)).total == 2
        # Stories are rebuilt too, under the same ids, and the rebuilt store is consistent.
        stories_before = {a.event_id: store.get_event(a.event_id or "")[0].story_id
                          for a in before}
        for event_id, story_id in stories_before.items():
            assert story_id is not None
            story, _ = other_process.get_story(story_id)
            assert event_id in [e.event_id for e in story.events]
        assert check(store).clean
        store.close()
        other_process.close()

    def test_writes_during_the_rebuild_are_carried_over(self, store_factory: StoreFactory) -> None:
        store, writer = store_factory(), store_factory()
        indexer = Indexer(store, extract_v1, "v1")
        kept = indexer.ingest(ArticleInput(text=GENEVA_TALKS[0], source="a")).article
        doomed = indexer.ingest(ArticleInput(text=QUAKE, source="b")).article
        late: list[str] = []

        def meanwhile(_: int) -> None:
            """While the rebuild runs, another process writes to the live store."""
            if late:
                return
            writer_indexer = Indexer(writer, extract_v1, "v1")
            late.append(
                writer_indexer.ingest(ArticleInput(text=GENEVA_TALKS[3], source="c")).article.id
            )
            writer_indexer.delete(doomed.id)

        reindex(store, extract_v2, "v2", progress=meanwhile, grace_seconds=0)
        # Whether the rebuild saw these writes or caught up with them after the switch
        # depends on paging; either way the outcome is the same.
        assert store.get_article(late[0]).event_id == kept.event_id
        with pytest.raises(NotFound):
            store.get_article(doomed.id)
        assert store.count_articles() == 2
        event, _ = store.get_event(kept.event_id or "")
        assert set(event.articles) == {kept.id, late[0]}
        store.close()
        writer.close()

    def test_event_ids_that_a_rebuild_regroups_keep_answering(
        self, store_factory: StoreFactory
    ) -> None:
        """An event the rebuild folds into another redirects to it, as do older redirects."""
        store = store_factory()
        indexer = Indexer(store, extract_v1, "v1")
        first = indexer.ingest(ArticleInput(text=GENEVA_TALKS[0], source="a")).article
        second = indexer.ingest(ArticleInput(text=GENEVA_TALKS[1], source="b")).article
        assert first.event_id == second.event_id and first.event_id is not None
        # As if an older clustering had kept the second report apart, in "e-apart", and had
        # earlier folded "e-ancient" into it.
        event, version = store.get_event(first.event_id)
        alone = store.get_article(first.id)
        now = now_iso()
        store.put_event(
            merge_event(event.id, [alone], first_seen=event.first_seen, last_updated=now,
                        signature=event.signature),
            version=version,
            text=alone.text,
        )
        other = store.get_article(second.id)
        apart = merge_event("e-apart", [other], first_seen=now, last_updated=now,
                            signature=event.signature)
        store.put_event(apart, version=None, text=other.text)
        store.set_article_event(
            second.id, "e-apart", version=store.get_article_versioned(second.id)[1]
        )
        store.add_redirect("e-ancient", "e-apart")

        reindex(store, extract_v2, "v2", grace_seconds=0)

        assert store.get_article(second.id).event_id == first.event_id
        for old in ("e-apart", "e-ancient"):
            with pytest.raises(Moved) as moved:
                store.get_event(old)
            assert moved.value.new_id == first.event_id
        assert store.redirects()["e-apart"] == first.event_id
        store.close()

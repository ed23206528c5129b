"""Nothing lost, nothing doubled: the holes a review found, each reproduced on every backend.

Backend test classes mix this in; besides ``store_factory`` they provide
``corrupt_search_document(store, article_id)``, which damages one article's search document
behind the store's back (the one thing only a backend knows how to break).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from indexer.check import DOCUMENTS_MATCH, IN_ONE_EVENT, MEMBERS_MATCH, REDIRECTS_END, check
from indexer.errors import Conflict, StoreUnavailable
from indexer.events.assign import assign_article
from indexer.events.merge import merge_event
from indexer.ingest import Indexer, build_article
from indexer.models import ArticleInput
from indexer.reindex import reindex
from indexer.store.base import Store
from indexer.timefmt import now_iso
from tests.store.events_contract import GENEVA_TALKS, QUAKE, _extract

StoreFactory = Callable[[], Store]
WRITES = ("put_article", "set_article_event", "put_event", "retire_event", "delete_event",
          "add_redirect", "delete_article", "put_story", "retire_story", "delete_story")


def _without_lock(store: Store) -> Store:
    """Correctness must not depend on the assignment lock: take it away."""
    store.assignment_lock = contextlib.nullcontext  # type: ignore[assignment,method-assign]
    return store


def _events_listing(store: Store, article_id: str) -> list[str]:
    store.refresh()
    return [event.id for event, _ in store.iter_events() if article_id in event.articles]


def _counting(store: Store) -> dict[str, int]:
    counts = dict.fromkeys(WRITES, 0)
    for name in WRITES:
        original = getattr(store, name)

        def counted(*args: Any, _name: str = name, _call: Any = original, **kwargs: Any) -> Any:
            counts[_name] += 1
            return _call(*args, **kwargs)

        setattr(store, name, counted)
    return counts


def _talk(n: int | str) -> str:
    return (
        "US and Russian negotiators held crisis talks in Geneva on Monday about Ukraine, "
        f"the border troops and NATO expansion; dispatch {n} from the delegations."
    )


class ConsistencyContract:
    """Retries, deletes, rebuilds and joins under faults; ``check`` finds and repairs damage."""

    @pytest.fixture
    def consistent_store(self, store_factory: StoreFactory) -> Iterator[Store]:
        store = store_factory()
        yield store
        store.close()

    def test_a_retry_during_assignment_does_not_double_the_article(
        self, store_factory: StoreFactory
    ) -> None:
        """The first attempt pauses just before it records membership; the retry runs whole."""
        first, retry = _without_lock(store_factory()), _without_lock(store_factory())
        item = ArticleInput(text=GENEVA_TALKS[0], source="wire", published_at="2022-01-11")
        paused, resume = threading.Event(), threading.Event()
        record = first.set_article_event

        def slow_record(*args: Any, **kwargs: Any) -> str:
            paused.set()
            resume.wait(60)
            return record(*args, **kwargs)

        first.set_article_event = slow_record  # type: ignore[method-assign]
        outcome: dict[str, Any] = {}

        def run_first() -> None:
            try:
                outcome["first"] = Indexer(first, _extract, "c").ingest(item).article
            except BaseException as exc:  # reported below
                outcome["error"] = exc

        thread = threading.Thread(target=run_first)
        thread.start()
        assert paused.wait(60), "the first attempt never reached its membership write"
        second = Indexer(retry, _extract, "c").ingest(item).article
        resume.set()
        thread.join(60)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["first"].event_id == second.event_id
        stored = retry.get_article(second.id)
        assert _events_listing(retry, second.id) == [stored.event_id]
        assert check(retry).clean
        first.close()
        retry.close()

    def test_membership_writes_are_compare_and_set(self, consistent_store: Store) -> None:
        article = Indexer(consistent_store, _extract, "c").ingest(
            ArticleInput(text=QUAKE, source="a")
        ).article
        _, version = consistent_store.get_article_versioned(article.id)
        newer = consistent_store.set_article_event(article.id, article.event_id, version=version)
        assert newer != version
        with pytest.raises(Conflict):
            consistent_store.set_article_event(article.id, "e-other", version=version)
        assert consistent_store.get_article(article.id).event_id == article.event_id

    def test_a_delete_that_fails_midway_changes_no_truth_and_a_retry_finishes(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        indexer = Indexer(store, _extract, "c")
        keep = indexer.ingest(ArticleInput(text=GENEVA_TALKS[0], source="a")).article
        gone = indexer.ingest(ArticleInput(text=GENEVA_TALKS[1], source="b")).article
        assert keep.event_id == gone.event_id and keep.event_id is not None

        broken = store_factory()
        real_delete = broken.delete_article

        def fail(*_: Any, **__: Any) -> None:
            raise StoreUnavailable("the server went away mid-delete")

        broken.delete_article = fail  # type: ignore[method-assign]
        with pytest.raises(StoreUnavailable):
            Indexer(broken, _extract, "c").delete(gone.id)
        # The truth is untouched: the article is there and still a member of its event.
        assert store.get_article(gone.id).event_id == keep.event_id
        half_done = check(store)
        assert half_done.counts()[MEMBERS_MATCH] == 1  # its event already lists it no more

        broken.delete_article = real_delete  # type: ignore[method-assign]
        Indexer(broken, _extract, "c").delete(gone.id)  # the client's retry
        event, _ = store.get_event(keep.event_id)
        assert event.articles == (keep.id,)
        assert check(store).clean
        broken.close()
        store.close()

    def test_joins_write_three_records_however_big_the_event(
        self, store_factory: StoreFactory
    ) -> None:
        writes_per_join = {}
        store = store_factory()
        for size in (10, 90):  # one event: joined at 11 articles, then again at 102
            indexer = Indexer(store, _extract, "c")
            for n in range(size):
                indexer.ingest(ArticleInput(text=_talk(f"{size}.{n}"), source=f"s{n}",
                                            published_at=f"2022-0{size // 10}-10"))
            item = ArticleInput(text=_talk(f"{size}.late"), source="late",
                                published_at=f"2022-0{size // 10}-10")
            article = build_article(item, _extract(item), "c")
            store.put_article(article)
            counting = store_factory()
            counts = _counting(counting)
            event = assign_article(counting, article)
            writes_per_join[len(event.articles) - 1] = sum(counts.values())
            counting.close()
        store.close()
        # The article (membership), its event and its story's entry: three, at any size.
        assert writes_per_join == {10: 3, 101: 3}  # joined at 11 and at 102 articles

    def test_a_second_rebuild_is_refused_while_one_runs(self, store_factory: StoreFactory) -> None:
        store, other = store_factory(), store_factory()
        Indexer(store, _extract, "c").ingest(ArticleInput(text=QUAKE, source="a"))
        with store.rebuild_lock(), pytest.raises(StoreUnavailable, match="rebuild"):
            reindex(other, _extract, "v2", grace_seconds=0)
        report = reindex(other, _extract, "v2", grace_seconds=0)  # free again
        assert report.rebuilt == 1
        store.close()
        other.close()

    def test_a_rebuild_that_lost_the_race_cannot_retire_the_winner(
        self, consistent_store: Store
    ) -> None:
        store = consistent_store
        Indexer(store, _extract, "c").ingest(ArticleInput(text=QUAKE, source="a"))
        winner, loser = store.begin_rebuild(), store.begin_rebuild()
        for target in (winner, loser):
            for article in store.iter_articles():
                fresh = build_article(
                    ArticleInput(text=article.text, title=article.title, source=article.source,
                                 id=article.id), _extract(ArticleInput(text=article.text)), "v2",
                )
                target.put_article(fresh)
                assign_article(target, fresh)
        retired = store.activate(winner)
        with pytest.raises(Conflict):
            store.activate(loser)
        assert store.count_articles() == 1
        assert store.get_article(next(iter(a.id for a in store.iter_articles()))).event_id
        loser.drop()
        retired.drop()

    def test_check_finds_each_kind_of_damage_and_repairs_it(self, consistent_store: Store) -> None:
        store = consistent_store
        indexer = Indexer(store, _extract, "c")
        talks = [indexer.ingest(ArticleInput(text=GENEVA_TALKS[n], source=f"s{n}")).article
                 for n in range(3)]
        quake = indexer.ingest(ArticleInput(text=QUAKE, source="q")).article
        assert check(store).clean

        # An article stored but never assigned (a crash right after the write).
        item = ArticleInput(text=GENEVA_TALKS[4], source="crash")
        lost = build_article(item, _extract(item), "c")
        store.put_article(lost)
        # An article pointing at an event that was merged away (a crash during a fold).
        assert quake.event_id is not None and talks[0].event_id is not None
        now = now_iso()
        quake_event, _ = store.get_event(quake.event_id)
        folded = merge_event("e-folded", [store.get_article(quake.id)], first_seen=now,
                             last_updated=now, signature=quake_event.signature)
        store.put_event(folded, version=None, text="folded")
        _, version = store.get_event("e-folded")
        store.retire_event("e-folded", talks[0].event_id, version=version)
        _, qv = store.get_article_versioned(quake.id)
        store.set_article_event(quake.id, "e-folded", version=qv)
        # A redirect that leads nowhere.
        store.add_redirect("e-nowhere", "e-never-existed")
        # A search document that drifted from its record.
        self.corrupt_search_document(store, talks[1].id)  # type: ignore[attr-defined]

        found = check(store)
        counts = found.counts()
        assert counts[IN_ONE_EVENT] == 2  # the unassigned one and the one pointing at e-folded
        assert counts[MEMBERS_MATCH] >= 1  # the quake's event lists an article it lost
        assert counts[REDIRECTS_END] == 1
        assert counts[DOCUMENTS_MATCH] >= 1

        repaired = check(store, repair=True)
        assert all(f.repaired for f in repaired.findings), [
            f for f in repaired.findings if not f.repaired
        ]
        after = check(store)
        assert after.clean, after.findings
        for article in store.iter_articles():
            assert _events_listing(store, article.id) == [article.event_id]
        assert store.get_article(lost.id).event_id == talks[0].event_id
        assert store.get_article(quake.id).event_id == talks[0].event_id

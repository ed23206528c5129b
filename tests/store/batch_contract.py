"""Batched ingest on every backend: ``Store.write_batch`` and ``Indexer.ingest_batch``.

A batch is assigned against a write-behind view and written once per record; what a user
sees must be what ingesting the same articles one at a time gives: every article in the
event of its happening, stories intact, ``storyrecords check`` clean, a copy in the same
batch found as a copy, and nothing acknowledged lost when a write loses a race or the store
fails mid-flush.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import pytest

from indexer.benchmarks.corpus import (
    arrival_order,
    as_submitted,
    prefilled_event,
    synthetic_groups,
)
from indexer.check import check
from indexer.errors import Conflict, StoreUnavailable
from indexer.events import assign
from indexer.ingest import Indexer, IngestResult
from indexer.models import ArticleInput, Extraction
from indexer.store.base import RecordWrite, Store
from tests.store.contract import make_article

StoreFactory = Callable[[], Store]


def _no_nlp(item: ArticleInput) -> Extraction:
    raise AssertionError("every item here comes with its extraction")


def _partition(store: Store) -> list[list[str]]:
    return sorted(sorted(event.articles) for event, _ in store.iter_events())


class BatchContract:
    """Batches: one write per record, the same events as one at a time, faults survived."""

    @pytest.fixture
    def batch_store(self, store_factory: StoreFactory) -> Iterator[Store]:
        store = store_factory()
        yield store
        store.close()

    def test_write_batch_answers_each_write_and_one_lost_race_sinks_no_other(
        self, batch_store: Store
    ) -> None:
        taken = make_article("a-taken", "Taken", "Already stored before the batch.")
        batch_store.put_article(taken)
        _, stale = batch_store.get_article_versioned("a-taken")
        batch_store.set_article_event("a-taken", "e-first", version=stale)  # the version moves
        fresh = make_article("a-fresh", "Fresh", "Stored by the batch.")
        results = batch_store.write_batch([
            RecordWrite("articles", "create", "a-taken", record=taken),
            RecordWrite("articles", "create", "a-fresh", record=fresh),
            RecordWrite("articles", "membership", "a-taken", version=stale, event_id="e-x"),
        ])
        assert [type(r) for r in results] == [Conflict, type(None), Conflict]
        assert batch_store.get_article("a-fresh").text == fresh.text
        assert batch_store.get_article("a-taken").event_id == "e-first"

    def test_a_batch_finds_every_happening_as_one_at_a_time_does(
        self, batch_store: Store
    ) -> None:
        groups = synthetic_groups(120)
        items = as_submitted(arrival_order(groups))
        indexer = Indexer(batch_store, _no_nlp, "test-1")
        results = [r for start in range(0, len(items), 25)
                   for r in indexer.ingest_batch(items[start:start + 25])]
        assert all(isinstance(r, IngestResult) and r.created for r in results), results[:3]
        assert _partition(batch_store) == sorted(sorted(a.id for a in g) for g in groups)
        for result in results:  # what each item was told is what is stored
            assert isinstance(result, IngestResult)
            assert batch_store.get_article(result.article.id).event_id == result.article.event_id
        stories = list(batch_store.iter_stories())
        assert stories and {e.event_id for s, _ in stories for e in s.events} == {
            e.id for e, _ in batch_store.iter_events()}
        assert check(batch_store).clean, check(batch_store).findings[:5]

    def test_a_batch_sent_again_changes_nothing(self, batch_store: Store) -> None:
        items = as_submitted(arrival_order(synthetic_groups(40)))
        indexer = Indexer(batch_store, _no_nlp, "test-1")
        indexer.ingest_batch(items)
        before = _partition(batch_store)
        again = indexer.ingest_batch(items)
        assert all(isinstance(r, IngestResult) and not r.created for r in again)
        assert _partition(batch_store) == before

    def test_a_copy_of_an_article_earlier_in_the_same_batch_is_found(
        self, batch_store: Store
    ) -> None:
        original = arrival_order(synthetic_groups(10))[0]
        copy = replace(original, id="a-copy", title=f"{original.title} (syndicated)")
        indexer = Indexer(batch_store, _no_nlp, "test-1")
        results = indexer.ingest_batch(as_submitted([original, copy]))
        assert all(isinstance(r, IngestResult) for r in results), results
        stored = batch_store.get_article("a-copy")
        assert stored.duplicate_of == original.id
        assert stored.event_id == batch_store.get_article(original.id).event_id

    @pytest.mark.parametrize("collection", ["events", "stories"])
    def test_a_write_that_loses_a_race_at_the_flush_is_done_again_one_at_a_time(
        self, batch_store: Store, monkeypatch: pytest.MonkeyPatch, collection: str
    ) -> None:
        groups = synthetic_groups(30)
        items = as_submitted(arrival_order(groups))
        indexer = Indexer(batch_store, _no_nlp, "test-1")
        indexer.ingest_batch(items[:10])
        write_batch = batch_store.write_batch
        raced: list[str] = []

        def racing(writes: Sequence[RecordWrite]) -> list[Conflict | None]:
            """Another writer updates a record the batch read, just before the batch writes
            that collection."""
            updates = [w for w in writes if w.collection == collection and w.action == "update"]
            if updates and not raced:
                record_id, text = updates[0].record_id, updates[0].text
                if collection == "events":
                    event, version = batch_store.get_event(record_id)
                    batch_store.put_event(event, version=version, text=text)
                else:
                    story, version = batch_store.get_story(record_id)
                    batch_store.put_story(story, version=version, text=text)
                raced.append(record_id)
            return write_batch(writes)

        monkeypatch.setattr(batch_store, "write_batch", racing)
        results = indexer.ingest_batch(items[10:])
        assert raced, f"the test changed one of the {collection} behind the batch's back"
        assert all(isinstance(r, IngestResult) and r.created for r in results), results[:3]
        assert _partition(batch_store) == sorted(sorted(a.id for a in g) for g in groups)
        assert check(batch_store).clean, check(batch_store).findings[:5]
        for story, _ in batch_store.iter_stories():  # each entry as its event is now
            for entry in story.events:
                event, _ = batch_store.get_event(entry.event_id)
                assert entry.article_count == len(event.articles), (story.id, entry)

    def test_a_store_failing_mid_flush_loses_nothing_and_a_retry_finishes_it(
        self, batch_store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        groups = synthetic_groups(30)
        items = as_submitted(arrival_order(groups))
        write_batch = batch_store.write_batch

        def failing(writes: Sequence[RecordWrite]) -> list[Conflict | None]:
            """The store goes away after the batch's articles are written, before its events."""
            if writes and writes[0].collection != "articles":
                raise StoreUnavailable("the store went away mid-flush (test)")
            return write_batch(writes)

        monkeypatch.setattr(batch_store, "write_batch", failing)
        indexer = Indexer(batch_store, _no_nlp, "test-1")
        results = indexer.ingest_batch(items)
        assert all(isinstance(r, StoreUnavailable) for r in results), results[:3]
        assert batch_store.get_articles([a.id or "" for a, _ in items]), "articles were written"
        monkeypatch.setattr(batch_store, "write_batch", write_batch)
        retried = indexer.ingest_batch(items)
        assert all(isinstance(r, IngestResult) for r in retried), retried[:3]
        assert _partition(batch_store) == sorted(sorted(a.id for a in g) for g in groups)
        assert check(batch_store).clean, check(batch_store).findings[:5]

    def test_two_items_of_one_id_with_different_content_are_a_conflict_as_one_at_a_time(
        self, batch_store: Store
    ) -> None:
        """The same id sent twice with other metadata (a wire story from two sites): the
        first is stored as sent, the second is a conflict, as one at a time."""
        (item, extraction), = as_submitted(arrival_order(synthetic_groups(1)))
        other = replace(item, url="https://elsewhere.example/the-same-story", source="other")
        results = Indexer(batch_store, _no_nlp, "test-1").ingest_batch(
            [(item, extraction), (other, extraction)])
        first, second = results
        assert isinstance(first, IngestResult) and first.created, results
        assert isinstance(second, Conflict), results
        stored = batch_store.get_article(item.id or "")
        assert (stored.url, stored.source) == (item.url, item.source)

    def test_an_item_sent_twice_in_a_batch_is_created_once_even_when_the_batch_is_redone(
        self, batch_store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        items = as_submitted(arrival_order(synthetic_groups(12)))
        indexer = Indexer(batch_store, _no_nlp, "test-1")
        indexer.ingest_batch(items[:6])
        write_batch = batch_store.write_batch

        def racing(writes: Sequence[RecordWrite]) -> list[Conflict | None]:
            """Every event write of the batch loses a race: it is done again one at a time."""
            results = write_batch(writes)
            if writes and writes[0].collection == "events":
                return [Conflict("lost a race (test)") for _ in writes]
            return results

        monkeypatch.setattr(batch_store, "write_batch", racing)
        batch = [items[6], items[6], *items[7:]]
        results = indexer.ingest_batch(batch)
        monkeypatch.setattr(batch_store, "write_batch", write_batch)
        created = [r.created for r in results if isinstance(r, IngestResult)]
        assert len(created) == len(batch), results
        assert created == [True, False, *(True for _ in items[7:])], created

    def test_an_event_founded_while_the_batch_waited_for_the_lock_is_joined(
        self, batch_store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Candidates are looked up before the lock; under it, events founded since are added
        (as one at a time): also those founded while the batch waited for the lock."""
        group = next(g for g in synthetic_groups(60) if len(g) >= 2)
        first, second = as_submitted(group[:2])
        indexer = Indexer(batch_store, _no_nlp, "test-1")
        # No clock slack: the lock is waited for longer than RECENT_MARGIN_US.
        monkeypatch.setattr(assign, "RECENT_MARGIN_US", 0)
        lock = batch_store.assignment_lock
        waited: list[bool] = []

        @contextmanager
        def another_process_first() -> Iterator[None]:
            """Another process holds the lock first, and founds the happening's event."""
            if not waited:
                waited.append(True)
                indexer.ingest(*first)
                time.sleep(0.01)
            with lock():
                yield

        monkeypatch.setattr(batch_store, "assignment_lock", another_process_first)
        (result,) = indexer.ingest_batch([second])
        assert waited and isinstance(result, IngestResult), result
        assert _partition(batch_store) == [sorted(a.id for a in group[:2])]

    def test_members_of_an_event_folded_by_a_batch_that_loses_a_race_stay_listed(
        self, batch_store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An article matching two events of one happening folds them: their members move
        (truth, written) and the kept event lists them. When the kept event's write loses a
        race, redoing the batch's own articles must still leave every moved member listed
        by its event, as one at a time (which derives the kept event again, folded members
        included)."""
        group = next(g for g in synthetic_groups(200) if len(g) >= 5)
        for event, members, text in (prefilled_event(group[0:2]), prefilled_event(group[2:4])):
            for member in members:  # two events of one happening, not folded yet
                batch_store.put_article(member)
            batch_store.put_event(event, version=None, text=text)
        batch_store.refresh()
        write_batch = batch_store.write_batch
        raced: list[str] = []

        def racing(writes: Sequence[RecordWrite]) -> list[Conflict | None]:
            """Another writer updates the kept event just before the batch writes events."""
            updates = [w for w in writes if w.collection == "events" and w.action == "update"]
            if updates and not raced:
                event, version = batch_store.get_event(updates[0].record_id)
                batch_store.put_event(event, version=version, text=updates[0].text)
                raced.append(event.id)
            return write_batch(writes)

        monkeypatch.setattr(batch_store, "write_batch", racing)
        (result,) = Indexer(batch_store, _no_nlp, "test-1").ingest_batch(
            as_submitted(group[4:5]))
        assert raced and isinstance(result, IngestResult), result
        assert _partition(batch_store) == [sorted(a.id for a in group[:5])]

    def test_an_article_a_batch_could_not_store_is_in_no_event_it_wrote(
        self, batch_store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Another client stores other content under a batch article's id just before the
        flush: that item is a conflict, and no event or story is left describing what the
        batch could not store (an event founded for it, listing it, with its title)."""
        from indexer.events.assign import assign_article

        groups = [g for g in synthetic_groups(60) if len(g) >= 2][:2]
        mine, theirs = groups[0][0], groups[1][0]
        clash = replace(theirs, id=mine.id)  # other content, the same id
        write_batch = batch_store.write_batch

        def clashing(writes: Sequence[RecordWrite]) -> list[Conflict | None]:
            if writes and writes[0].collection == "articles" and not clashed:
                clashed.append(batch_store.put_article(clash))
            return write_batch(writes)

        clashed: list[object] = []
        monkeypatch.setattr(batch_store, "write_batch", clashing)
        others = as_submitted(groups[0][1:2])
        results = Indexer(batch_store, _no_nlp, "test-1").ingest_batch(
            [*as_submitted([mine]), *others])
        assert clashed and isinstance(results[0], Conflict), results
        assert isinstance(results[1], IngestResult), results
        assign_article(batch_store, batch_store.get_article(mine.id))  # theirs, assigned
        batch_store.refresh()
        assert check(batch_store).clean, check(batch_store).findings[:5]

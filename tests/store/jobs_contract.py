"""The bulk-job half of the Store contract: jobs stored whole and durably, claimed by one worker
at a time, resumed after a crash without losing or doubling a line, outliving reindexes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from indexer.errors import Conflict, NotFound, StoreUnavailable
from indexer.ingest import Indexer
from indexer.job_runner import JobRunner
from indexer.jobs import (
    MAX_STALLS,
    RESULTS_PER_DOC,
    Job,
    JobSettings,
    new_job,
    read_results,
)
from indexer.models import ArticleInput, Extraction
from indexer.store.base import Store
from tests.conftest import fake_extract

StoreFactory = Callable[[], Store]


def _body(count: int, *, bad: tuple[int, ...] = ()) -> bytes:
    lines = []
    for n in range(count):
        if n in bad:
            lines.append(b'{"title": "no text"}')
        else:
            lines.append(json.dumps({"text": f"NATO and Russia met in Geneva, report {n:04d}.",
                                     "source": "jobs"}).encode())
    return b"\n".join(lines) + b"\n"


def _lines(body: bytes) -> list[tuple[int, bytes]]:
    return [(n, raw) for n, raw in enumerate(body.splitlines(), 1) if raw.strip()]


def _submit(store: Store, body: bytes) -> Job:
    job, chunks = new_job(_lines(body), body_bytes=len(body), key_id="k1", key_name="tests")
    store.jobs().create(job, chunks)
    return job


class _Crash(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs (not even except Exception)."""


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _crashing(after: int) -> Callable[[ArticleInput], Extraction]:
    seen = {"n": 0}

    def extract(item: ArticleInput) -> Extraction:
        seen["n"] += 1
        if seen["n"] > after:
            raise _Crash
        return fake_extract(item)

    return extract


#: Batches of 5 lines (a batch is extracted whole, then stored with one flush), progress
#: recorded every 10: a crash inside a batch loses none of the batches stored before it.
FAST = JobSettings(lease_s=5.0, progress_lines=10, batch_lines=5, poll_s=0.01)


class JobStoreContract:
    """What bulk jobs rely on, on every backend."""

    def _runner(self, store: Store, *, extract: Callable[[ArticleInput], Extraction] = fake_extract,
                clock: Callable[[], float] | None = None, name: str = "w") -> JobRunner:
        indexer = Indexer(store, extract, "test-1")
        kwargs: dict[str, Any] = {"clock": clock} if clock else {}
        return JobRunner(store.jobs, lambda: indexer, FAST, worker=name, **kwargs)

    def test_a_job_is_stored_whole_and_read_back_by_another_handle(
        self, store_factory: StoreFactory
    ) -> None:
        store, other = store_factory(), store_factory()
        odd = [b'{"text": "caf\xc3\xa9 in Geneva"}', b"\xff\xfe not utf-8", b'{"text": "a\\r\\nb"}']
        body = b"\n\n".join(odd) + b"\r\n" + _body(5)
        job, chunks = new_job(_lines(body), body_bytes=len(body), key_id="k1", key_name="tests")
        store.jobs().create(job, chunks)
        found, version = other.jobs().get(job.id)
        assert found == job and found.status == "queued" and found.total == 8
        assert version
        chunk = other.jobs().chunk(job.id, 0)
        assert chunk.lines[:3] == tuple(odd) and chunk.numbers[:3] == (1, 3, 5)
        assert [j.id for j, _ in other.jobs().unfinished()] == [job.id]
        assert [j.id for j in other.jobs().recent()] == [job.id]
        with pytest.raises(Conflict):
            store.jobs().create(job, chunks)
        with pytest.raises(NotFound):
            other.jobs().get("j" + "0" * 24)
        store.close()
        other.close()

    def test_many_processes_start_on_a_fresh_job_store_at_once(
        self, store_factory: StoreFactory
    ) -> None:
        """Was: one process had switched a new job file to WAL, another took the file as ready
        and found no tables (the submission failed with 503)."""
        handles = [store_factory() for _ in range(6)]
        barrier = threading.Barrier(len(handles))
        errors: list[BaseException] = []

        def use(handle: Store, n: int) -> None:
            barrier.wait()
            try:
                if n % 2:
                    handle.jobs().unfinished()
                else:
                    _submit(handle, _body(2))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=use, args=(h, n)) for n, h in enumerate(handles)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert len(handles[0].jobs().recent()) == 3
        for handle in handles:
            handle.close()

    def test_a_big_body_is_split_into_chunks_of_whole_lines(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        lines = [(n, json.dumps({"text": "x" * 300_000, "n": n}).encode()) for n in range(1, 8)]
        job, chunks = new_job(lines, body_bytes=sum(len(r) for _, r in lines))
        assert len(chunks) > 1 and job.chunk_starts[0] == 0
        store.jobs().create(job, chunks)
        got = [store.jobs().chunk(job.id, i) for i in range(len(chunks))]
        assert [line for c in got for line in c.lines] == [r for _, r in lines]
        assert [n for c in got for n in c.numbers] == list(range(1, 8))
        assert all(job.chunk_of(c.first) == c.index for c in got)
        store.close()

    def test_updates_are_compare_and_set(self, store_factory: StoreFactory) -> None:
        store, other = store_factory(), store_factory()
        job = _submit(store, _body(3))
        _, version = store.jobs().get(job.id)
        mine = store.jobs().update(replace(job, status="running", holder="a", epoch=1),
                                   version=version)
        with pytest.raises(Conflict):
            other.jobs().update(replace(job, status="running", holder="b", epoch=1),
                                version=version)
        found, now = other.jobs().get(job.id)
        assert found.holder == "a" and now == mine
        with pytest.raises(NotFound):
            store.jobs().update(replace(job, id="j" + "1" * 24), version=version)
        store.close()
        other.close()

    def test_a_stale_holder_cannot_record_after_a_takeover(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        job = _submit(store, _body(3))
        _, version = store.jobs().get(job.id)
        a = replace(job, status="running", holder="a", epoch=1)
        a_version = store.jobs().update(a, version=version)
        a_result = {"line": 1, "status": "created", "id": "x", "errors": None}
        a_version = store.jobs().record(replace(a, done=1, created=1), version=a_version,
                                        results={0: [a_result]})
        # b takes over from the record a last wrote
        b = replace(a, holder="b", epoch=2, done=1, created=1)
        b_version = store.jobs().update(b, version=a_version)
        b_results = [a_result, {"line": 2, "status": "unchanged", "id": "y", "errors": None}]
        b_version = store.jobs().record(replace(b, done=2, unchanged=1), version=b_version,
                                        results={0: b_results})
        stale = [a_result, {"line": 2, "status": "created", "id": "stale", "errors": None}]
        with pytest.raises(Conflict):
            store.jobs().record(replace(a, done=2, created=2), version=a_version,
                                results={0: stale})
        assert store.jobs().results(job.id, [0]) == {0: b_results}
        found, _ = store.jobs().get(job.id)
        assert (found.holder, found.done, found.unchanged) == ("b", 2, 1)
        store.close()

    def test_results_page_by_offset_and_filter_by_status(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        job = _submit(store, _body(250))
        _, version = store.jobs().get(job.id)
        job = replace(job, status="running", epoch=1)
        version = store.jobs().update(job, version=version)
        results = [{"line": n + 1, "status": "rejected" if n % 50 == 7 else "created",
                    "id": None, "errors": None} for n in range(250)]
        docs = {d: results[d * RESULTS_PER_DOC:(d + 1) * RESULTS_PER_DOC] for d in range(3)}
        job = replace(job, done=230)
        store.jobs().record(job, version=version, results=docs)
        page, after = read_results(store.jobs(), job, offset=0, size=120)
        assert [r["line"] for r in page] == list(range(1, 121)) and after == 120
        page, after = read_results(store.jobs(), job, offset=200, size=100)
        assert [r["line"] for r in page] == list(range(201, 231)), "only recorded lines"
        assert after == 230, "a running job: come back later"
        page, after = read_results(store.jobs(), job, offset=0, size=3, statuses=["rejected"])
        assert [r["line"] for r in page] == [8, 58, 108] and after == 108
        page, after = read_results(store.jobs(), job, offset=after, statuses=["rejected"])
        assert [r["line"] for r in page] == [158, 208] and after == 230
        finished = replace(job, status="done", done=250)
        page, after = read_results(store.jobs(), finished, offset=240, size=100)
        assert len(page) == 10 and after is None
        store.close()

    def test_a_runner_ingests_every_line_and_drops_the_body(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        job = _submit(store, _body(25, bad=(3,)) + b"not json\n")
        runner = self._runner(store)
        runner.hint(job.id)
        assert runner.drain() == 1
        done, _ = store.jobs().get(job.id)
        assert (done.status, done.done, done.created, done.unchanged, done.rejected) == (
            "done", 26, 24, 0, 2)
        assert done.holder is None and done.finished_at and done.epoch == 1
        page, after = read_results(store.jobs(), done, size=100)
        assert after is None and [r["line"] for r in page] == list(range(1, 27))
        assert [r["status"] for r in page if r["status"] != "created"] == ["rejected"] * 2
        assert page[-1]["errors"]["_line"][0].startswith("invalid JSON")
        store.refresh()
        assert store.count_articles() == 24
        with pytest.raises(NotFound):
            store.jobs().chunk(job.id, 0)
        assert store.jobs().unfinished() == []
        store.close()

    def test_only_one_of_two_racing_workers_claims_a_job(
        self, store_factory: StoreFactory
    ) -> None:
        job = _submit(store_factory(), _body(3))
        handles = [store_factory() for _ in range(4)]
        claims: list[Any] = []
        barrier = threading.Barrier(len(handles))

        def race(handle: Store, name: str) -> None:
            runner = self._runner(handle, name=name)
            runner.hint(job.id)
            barrier.wait()
            claims.append(runner.claim())

        threads = [threading.Thread(target=race, args=(h, f"w{i}")) for i, h in enumerate(handles)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = [c for c in claims if c is not None]
        assert len(won) == 1
        found, _ = handles[0].jobs().get(job.id)
        assert found.holder == won[0][0].holder and found.epoch == 1
        for handle in handles:
            handle.close()

    def test_a_crashed_workers_job_is_resumed_and_no_line_is_lost_or_doubled(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        job = _submit(store, _body(40))
        dying = self._runner(store, extract=_crashing(after=25), name="dying")
        dying.hint(job.id)
        with pytest.raises(_Crash):
            dying.run_once()
        left, _ = store.jobs().get(job.id)
        assert (left.status, left.holder) == ("running", "dying")
        recorded = left.done  # every 10 lines, and when a third of the lease has passed
        assert 20 <= recorded <= 25, "batches up to line 25 stored, progress at 10 and 20 at least"
        clock = _Clock()
        heir = self._runner(store_factory(), clock=clock, name="heir")
        heir.hint(job.id)
        assert heir.claim() is None, "first it watches the record for a whole lease"
        clock.now += FAST.lease_s - 0.1
        heir.hint(job.id)
        assert heir.claim() is None
        clock.now += 0.2
        heir.hint(job.id)
        claimed = heir.claim()
        assert claimed is not None and claimed[0].holder == "heir" and claimed[0].epoch == 2
        heir.process(*claimed)
        done, _ = store.jobs().get(job.id)
        again = 25 - recorded  # stored by the dead worker, not yet recorded
        assert (done.status, done.done, done.created, done.unchanged) == (
            "done", 40, 40 - again, again)
        page, _ = read_results(store.jobs(), done, size=100)
        assert [r["line"] for r in page] == list(range(1, 41))
        assert [r["status"] for r in page[recorded:25]] == ["unchanged"] * again, (
            "ingested again: unchanged, not stored twice")
        store.refresh()
        assert store.count_articles() == 40
        assert len({a.id for a in store.iter_articles()}) == 40
        store.close()

    def test_a_live_holders_renewals_keep_the_job(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        job = _submit(store, _body(3))
        _, version = store.jobs().get(job.id)
        held = replace(job, status="running", holder="alive", epoch=1, lease_s=5.0)
        version = store.jobs().update(held, version=version)
        clock = _Clock()
        watcher = self._runner(store_factory(), clock=clock)
        for _ in range(4):
            watcher.hint(job.id)
            assert watcher.claim() is None
            clock.now += 3.0
            version = store.jobs().update(replace(held, updated_at="renewed"), version=version)
        found, _ = store.jobs().get(job.id)
        assert found.holder == "alive"
        store.close()

    def test_a_job_that_keeps_killing_its_workers_fails(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        job = _submit(store, _body(5))
        clock = _Clock()
        for attempt in range(MAX_STALLS + 2):
            runner = self._runner(store, extract=_crashing(after=0), clock=clock,
                                  name=f"w{attempt}")
            runner.hint(job.id)
            claimed = runner.claim()
            if claimed is None:  # held: watch it for a lease, then take it over
                clock.now += FAST.lease_s + 1
                claimed = runner.claim()
            if claimed is None:
                break
            with pytest.raises(_Crash):
                runner.process(*claimed)
        failed, _ = store.jobs().get(job.id)
        assert failed.status == "failed" and failed.stalls == MAX_STALLS
        assert failed.error and "line 1" in failed.error
        assert store.jobs().unfinished() == []
        store.close()

    def test_a_stopping_worker_hands_its_job_back_at_once(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        job = _submit(store, _body(30))
        stop = threading.Event()
        seen = {"n": 0}

        def extract(item: ArticleInput) -> Extraction:
            seen["n"] += 1
            if seen["n"] == 12:
                stop.set()
            return fake_extract(item)

        runner = JobRunner(store.jobs, lambda: Indexer(store, extract, "test-1"), FAST,
                           worker="leaving", stop=stop)
        runner.hint(job.id)
        runner.run_once()
        back, _ = store.jobs().get(job.id)
        # asked during line 12: the batch at hand (lines 11-15) is finished, then handed back
        assert (back.status, back.holder, back.done) == ("queued", None, 15)
        assert seen["n"] == 15, "no line after that batch was started"
        following = self._runner(store_factory(), name="next")
        following.hint(job.id)
        assert following.drain() == 1
        done, _ = store.jobs().get(job.id)
        assert (done.status, done.done, done.created) == ("done", 30, 30)
        store.close()

    def test_jobs_outlive_a_reindex_and_can_be_deleted(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        job = _submit(store, _body(3))
        retired = store.activate(store.begin_rebuild())
        retired.drop()
        fresh = store_factory()
        assert fresh.jobs().get(job.id)[0] == job
        assert fresh.jobs().chunk(job.id, 0).lines == tuple(_body(3).splitlines())
        fresh.jobs().delete(job.id)
        with pytest.raises(NotFound):
            store.jobs().get(job.id)
        with pytest.raises(NotFound):
            store.jobs().delete(job.id)
        store.close()
        fresh.close()

    def test_unreachable_job_store_raises_store_unavailable(
        self, unreachable_store: StoreFactory
    ) -> None:
        job, chunks = new_job([(1, b'{"text": "x"}')], body_bytes=13)
        operations: list[Callable[[Store], object]] = [
            lambda s: s.jobs().create(job, chunks),
            lambda s: s.jobs().get(job.id),
            lambda s: s.jobs().unfinished(),
            lambda s: s.jobs().recent(),
            lambda s: s.jobs().results(job.id, [0]),
        ]
        for operation in operations:
            with pytest.raises(StoreUnavailable):
                handle = unreachable_store()
                try:
                    operation(handle)
                finally:
                    handle.close()

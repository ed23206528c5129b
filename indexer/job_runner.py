"""Job workers: claim a bulk job, ingest its lines, record progress, let go or finish.

The protocol (states, lease, resume) is described in :mod:`indexer.jobs`; this is the side
that runs it, in an API worker's background thread or in ``storyrecords jobs run``.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from indexer.bulk import batch_results
from indexer.errors import Conflict, NotFound, StoreUnavailable
from indexer.ingest import Indexer
from indexer.jobs import (
    MAX_STALLS,
    RESULTS_PER_DOC,
    BodyChunk,
    Job,
    JobSettings,
    JobStore,
    Result,
    count,
)
from indexer.timefmt import now_iso

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Upper bound of the back-off while the store cannot be reached.
MAX_BACKOFF_S = 30.0
#: A line taking longer than this many leases is presumed stuck: its lease is let lapse.
MAX_LINE_LEASES = 10


def worker_name() -> str:
    """``host:pid:nonce``: which process holds a job (the nonce tells restarts apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LeaseLost(Exception):
    """Another worker took the job over (or the lease could not be renewed in time)."""


class Stopping(Exception):
    """The worker was asked to stop."""


@dataclass
class _Holding:
    """A claimed job as its holder goes through it."""

    job: Job
    version: str
    #: Monotonic time the last successful write of the record was sent.
    renewed_at: float
    #: Result documents by index, as far as this holder knows them.
    docs: dict[int, list[Result]] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)
    unrecorded: int = 0
    #: Monotonic time the line in progress began (None between lines), for the heartbeat.
    line_started: float | None = None
    #: Why the lease is gone, once a write found another worker holding the job.
    lost: str | None = None
    #: Held by whoever writes the record: the loop, or the heartbeat during a long line.
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add(self, result: Result) -> None:
        position = self.job.done
        doc = position // RESULTS_PER_DOC
        self.docs.setdefault(doc, []).append(result)
        self.dirty.add(doc)
        self.job = count(self.job, result["status"])
        self.unrecorded += 1


class JobRunner:
    """Claims jobs and works through them, one at a time (a thread or ``storyrecords jobs run``).

    ``jobs`` and ``indexer`` are called when needed, so nothing connects before a job exists.
    """

    def __init__(
        self,
        jobs: Callable[[], JobStore],
        indexer: Callable[[], Indexer],
        settings: JobSettings | None = None,
        *,
        worker: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self._jobs = jobs
        self._indexer = indexer
        self.settings = settings or JobSettings()
        self.worker = worker or worker_name()
        self._clock = clock
        self.stop_event = stop or threading.Event()
        self._watched: dict[str, tuple[str, float]] = {}
        self._hints: list[str] = []
        self._hints_lock = threading.Lock()
        #: Whether the last :meth:`claim` saw any unfinished job at all.
        self.saw_unfinished = False

    # -- claiming -------------------------------------------------------------------------

    def hint(self, job_id: str) -> None:
        """Look at this job first on the next claim (one just submitted in this process)."""
        with self._hints_lock:
            self._hints.append(job_id)

    def claim(self) -> tuple[Job, str, float] | None:
        """Take a queued job, or one whose holder has stopped renewing; None when there is none.

        Returns the claimed record, its version and when the claim was sent (monotonic).
        """
        store = self._jobs()
        with self._hints_lock:
            hinted, self._hints = self._hints, []
        candidates: list[tuple[Job, str]] = []
        for job_id in hinted:
            try:
                candidates.append(store.get(job_id))
            except NotFound:
                continue
        candidates += store.unfinished()
        seen: set[str] = set()
        claimed = None
        for job, version in candidates:
            if job.id in seen or job.finished:
                continue
            seen.add(job.id)
            if claimed is not None:
                continue
            if job.status == "queued":
                claimed = self._take(store, job, version, takeover=False)
                continue
            now = self._clock()
            watched = self._watched.get(job.id)
            if watched is None or watched[0] != version:
                self._watched[job.id] = (version, now)
                continue
            if now - watched[1] >= job.lease_s:
                claimed = self._take(store, job, version, takeover=True)
        self.saw_unfinished = bool(seen)
        self._watched = {k: v for k, v in self._watched.items() if k in seen}
        return claimed

    def _take(
        self, store: JobStore, job: Job, version: str, *, takeover: bool
    ) -> tuple[Job, str, float] | None:
        now = now_iso()
        stalls = job.stalls + 1 if takeover and job.done == job.claim_done else 0
        if stalls >= MAX_STALLS:
            failed = replace(
                job, status="failed", holder=None, stalls=stalls, updated_at=now,
                finished_at=now,
                error=f"Workers stopped {stalls} times in a row at line {self._line_at(job)} "
                "without recording progress (a line may crash the worker); the lines before "
                "it have their results.",
            )
            try:
                store.update(failed, version=version)
                log.error("job %s failed: %s", job.id, failed.error)
            except (Conflict, NotFound):
                pass
            return None
        claimed = replace(
            job, status="running", holder=self.worker, epoch=job.epoch + 1,
            lease_s=self.settings.lease_s, claim_done=job.done, stalls=stalls,
            started_at=job.started_at or now, updated_at=now,
        )
        sent = self._clock()
        try:
            new_version = store.update(claimed, version=version)
        except (Conflict, NotFound):  # another worker was quicker, or the job was deleted
            return None
        self._watched.pop(job.id, None)
        if takeover:
            log.warning("job %s taken over from %s by %s at line %d of %d", job.id, job.holder,
                        self.worker, job.done, job.total)
        else:
            log.warning("job %s claimed by %s at line %d of %d", job.id, self.worker, job.done,
                        job.total)
        return claimed, new_version, sent

    def _line_at(self, job: Job) -> str:
        try:
            chunk = self._jobs().chunk(job.id, job.chunk_of(job.done))
            return str(chunk.numbers[job.done - chunk.first])
        except (NotFound, StoreUnavailable, IndexError):
            return f"#{job.done + 1}"

    # -- working --------------------------------------------------------------------------

    def run_once(self) -> bool:
        """Claim one job and work on it until it is done or lost; whether there was one."""
        claimed = self.claim()
        if claimed is None:
            return False
        self.process(*claimed)
        return True

    def drain(self, *, follow: bool = False) -> int:
        """Work until no job is unfinished (``follow``: until stopped); how many were worked on.

        Jobs held by other live workers are waited for (and taken over if they stop renewing).
        """
        worked = 0
        while not self.stop_event.is_set():
            if self.run_once():
                worked += 1
                continue
            if not follow and not self.saw_unfinished:
                break
            self.stop_event.wait(self.settings.poll_s)
        return worked

    def process(self, job: Job, version: str, renewed_at: float) -> Job:
        """Ingest the job's lines from the first without a result; the last record written."""
        holding = _Holding(job, version, renewed_at)
        finished = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(holding, finished),
                                     name=f"lease-{job.id}", daemon=True)
        heartbeat.start()
        try:
            self._resume(holding)
            self._work(holding)
        except LeaseLost as exc:
            log.warning("job %s: %s stops at line %d: %s", job.id, self.worker,
                        holding.job.done, exc)
        except Stopping:
            self._release(holding)
        finally:
            finished.set()
            heartbeat.join()
        return holding.job

    def _heartbeat(self, holding: _Holding, finished: threading.Event) -> None:
        """Renew the lease while one line takes long (a slow extraction, a wait for the
        assignment lock), so no other worker takes over a job that is moving. A line stuck
        for :data:`MAX_LINE_LEASES` leases is let go: its lease lapses and another worker
        goes on (this one's later writes fail)."""
        lease = holding.job.lease_s
        while not finished.wait(lease / 6):
            started = holding.line_started
            if started is None or self._clock() - started > MAX_LINE_LEASES * lease:
                continue  # between lines the loop itself renews
            if self._clock() - holding.renewed_at < lease / 3:
                continue
            try:
                self._record(holding)
            except LeaseLost:
                return
            except StoreUnavailable as exc:
                log.warning("job %s: could not renew the lease yet: %s", holding.job.id, exc)
            except Exception:  # never let the heartbeat die of a bug silently
                log.exception("job %s: renewing the lease failed", holding.job.id)

    def _resume(self, holding: _Holding) -> None:
        job = holding.job
        doc = job.done // RESULTS_PER_DOC
        kept = job.done - doc * RESULTS_PER_DOC
        if kept:
            found = self._with_store(holding, lambda: self._jobs().results(job.id, [doc]))
            holding.docs[doc] = list(found.get(doc, []))[:kept]

    def _work(self, holding: _Holding) -> None:
        store = self._jobs()
        indexer = self._with_store(holding, self._indexer)
        chunk: BodyChunk | None = None
        job_id = holding.job.id
        while holding.job.done < holding.job.total:
            if self.stop_event.is_set():
                raise Stopping
            position = holding.job.done
            if chunk is None or not chunk.first <= position < chunk.end:
                chunk = self._with_store(
                    holding, functools.partial(store.chunk, job_id, holding.job.chunk_of(position))
                )
            self._keep_lease(holding)
            start = position - chunk.first
            end = min(start + self.settings.batch_lines, len(chunk.lines),
                      start + holding.job.total - position)
            lines = list(zip(chunk.numbers[start:end], chunk.lines[start:end], strict=True))
            holding.line_started = self._clock()
            results = batch_results(indexer, lines, logged_as=lambda: f"job {job_id}")
            holding.line_started = None
            done = list(itertools.takewhile(lambda r: r["status"] != "unavailable", results))
            with holding.lock:
                if holding.lost:
                    raise LeaseLost(holding.lost)
                for result in done:
                    holding.add(result)
            if len(done) < len(results):
                self._wait_for_store(holding)
                continue  # the lines from the first one the store failed, again
            if holding.unrecorded >= self.settings.progress_lines:
                self._try_record(holding)
            if self.settings.throttle_s:
                time.sleep(self.settings.throttle_s * len(done))
        now = now_iso()
        final = replace(holding.job, status="done", holder=None, finished_at=now)
        self._with_store(holding, lambda: self._record(holding, final))
        try:
            store.drop_body(holding.job)
        except StoreUnavailable as exc:  # the job is done; only space is lost
            log.warning("job %s: could not delete its body: %s", job_id, exc)
        log.warning("job %s done: %d created, %d unchanged, %d rejected", job_id,
                    final.created, final.unchanged, final.rejected)

    def _record(self, holding: _Holding, job: Job | None = None) -> None:
        """Write the dirty result documents and the record; LeaseLost when it was taken."""
        with holding.lock:
            if holding.lost:
                raise LeaseLost(holding.lost)
            job = replace(job or holding.job, updated_at=now_iso())
            sent = self._clock()
            results = {doc: list(holding.docs[doc]) for doc in sorted(holding.dirty)}
            try:
                holding.version = self._jobs().record(job, version=holding.version,
                                                      results=results)
            except Conflict as exc:
                holding.lost = "another worker holds the job now"
                raise LeaseLost(holding.lost) from exc
            holding.job = job
            holding.renewed_at = sent
            holding.dirty.clear()
            holding.unrecorded = 0
            current = job.done // RESULTS_PER_DOC
            holding.docs = {d: r for d, r in holding.docs.items() if d >= current}

    def _try_record(self, holding: _Holding) -> None:
        """Record progress now if the store answers (else on a later line: see _keep_lease)."""
        try:
            self._record(holding)
        except StoreUnavailable as exc:
            log.warning("job %s: could not record progress yet: %s", holding.job.id, exc)

    def _keep_lease(self, holding: _Holding) -> None:
        """Renew when a third of the lease has passed; never start a line on an old lease."""
        if holding.lost:
            raise LeaseLost(holding.lost)
        lease = holding.job.lease_s
        if self._clock() - holding.renewed_at < lease / 3:
            return
        try:
            self._record(holding)
        except StoreUnavailable as exc:
            if self._clock() - holding.renewed_at >= 2 * lease / 3:
                log.warning("job %s: cannot renew the lease: %s", holding.job.id, exc)
                self._wait_for_store(holding)

    def _with_store(self, holding: _Holding, call: Callable[[], T]) -> T:
        """``call()``, waiting out (and renewing through) store outages."""
        while True:
            try:
                return call()
            except StoreUnavailable as exc:
                log.warning("job %s: store unavailable: %s", holding.job.id, exc)
                self._wait_for_store(holding)

    def _wait_for_store(self, holding: _Holding) -> None:
        """Back off until a renewal of the lease succeeds (the store is back)."""
        pause = 0.5
        while True:
            if self.stop_event.wait(pause):
                raise Stopping
            try:
                self._record(holding)
                return
            except StoreUnavailable:
                pause = min(pause * 2, MAX_BACKOFF_S)

    def _release(self, holding: _Holding) -> None:
        """Record what is done and put the job back in the queue for another worker."""
        released = replace(holding.job, status="queued", holder=None)
        try:
            self._record(holding, released)
            log.warning("job %s released by %s at line %d", released.id, self.worker,
                        released.done)
        except (LeaseLost, StoreUnavailable) as exc:
            log.warning("job %s: could not release it (%s); its lease will lapse", released.id,
                        exc)

    # -- a background loop ----------------------------------------------------------------

    def serve(self, *, idle_exit_s: float | None = None, wake: threading.Event | None = None
              ) -> None:
        """Work jobs until stopped; with ``idle_exit_s``, return after that long without any
        unfinished job. ``wake`` cuts an idle pause short. Never raises."""
        idle_since = self._clock()
        pause = self.settings.poll_s
        while not self.stop_event.is_set():
            try:
                worked = self.run_once()
                pause = self.settings.poll_s
            except StoreUnavailable as exc:  # look again later, less often while it lasts
                log.warning("job worker %s: the store is unavailable: %s", self.worker, exc)
                worked, pause = False, min(max(pause, 0.5) * 2, MAX_BACKOFF_S)
            except Exception:  # a bug: log it, pause, look again
                log.exception("job worker %s: looking for jobs failed", self.worker)
                worked, pause = False, MAX_BACKOFF_S
            if worked or self.saw_unfinished:
                idle_since = self._clock()
            elif idle_exit_s is not None and self._clock() - idle_since >= idle_exit_s:
                return
            if worked:
                continue
            if wake is not None:
                if wake.wait(pause):
                    wake.clear()
            else:
                self.stop_event.wait(pause)

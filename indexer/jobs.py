"""Bulk jobs: a big NDJSON batch is stored durably first and ingested afterwards, by whichever
worker claims it, resumable after any crash.

**States.** ``queued`` (stored, waiting for a worker; also a job a stopping worker let go of)
-> ``running`` (a worker holds its lease) -> ``done`` (every line has its result) or
``failed`` (workers died on it :data:`MAX_STALLS` times in a row without recording any
progress: a line that kills its worker is not retried for ever). A job whose holder died
stays ``running`` until another worker takes it over.

**Storage** (:class:`JobStore`, one per backend, outside the generations a reindex replaces):
the job record; its body in chunks of whole lines (:data:`CHUNK_BYTES`, :data:`CHUNK_LINES`),
written before the record, so a job that exists is whole; and its per-line results in
documents of :data:`RESULTS_PER_DOC` results, in line order. The body is deleted when the job
is done; the record and the results stay.

**The lease.** A worker claims a job by a compare-and-set write of its record (its version
must not have changed since it was read), which also bumps ``epoch``. While it works it
records progress every ``progress_lines`` lines and at least every third of its lease, each
time compare-and-set again (a heartbeat does it while one line takes long, for up to ten
leases); it starts no line unless such a write succeeded within the last two thirds of a
lease. No clock is compared across machines: a job is presumed abandoned
when another worker has seen the same record version for a whole lease on its *own*
monotonic clock, and it is taken over by compare-and-set on exactly that version, so two
workers can never both take one job, and a live holder's renewal always beats a waiter's
judgement. The stale holder's next write fails its version check (and a result document is
fenced by ``epoch``: one written under an older claim can never replace a newer one), so it
stops, and its unrecorded results are never shown.

**Resume.** A new holder starts at the first line without a recorded result. Lines the dead
worker ingested but had not recorded yet are ingested again: ingest is idempotent, so they
come out ``unchanged`` and nothing is stored twice.
"""

from __future__ import annotations

import abc
import bisect
import math
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from indexer.timefmt import iso_to_us, now_iso

STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")
FINISHED: tuple[str, ...] = ("done", "failed")

#: A body chunk closes at this many bytes or lines, whichever comes first (a longer line is a
#: chunk of its own).
CHUNK_BYTES = 1 << 20
CHUNK_LINES = 1000
#: Results are kept in documents of this many lines, in line order.
RESULTS_PER_DOC = 100
#: Defaults of :class:`JobSettings`.
LEASE_S = 60.0
PROGRESS_LINES = 50
#: Lines ingested together: one hold of the assignment lock and one write per record for
#: all of them (``Indexer.ingest_batch``), where one at a time costs ~15 round trips each.
BATCH_LINES = 50
POLL_S = 1.0
#: Claims in a row that recorded no progress before a job is failed.
MAX_STALLS = 3

Result = dict[str, Any]


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class JobSettings:
    """How job workers behave, from ``STORYRECORDS_JOB_*`` (the API and ``jobs run`` share it)."""

    #: How long a claim lasts without a renewal; another worker waits this long on an
    #: unchanged record before taking the job over.
    lease_s: float = LEASE_S
    #: Progress (and the lines' results) is recorded every this many lines.
    progress_lines: int = PROGRESS_LINES
    #: Lines ingested as one batch (see :data:`BATCH_LINES`).
    batch_lines: int = BATCH_LINES
    #: How often an idle worker looks for jobs.
    poll_s: float = POLL_S
    #: Test only: a pause for every line (after each batch), so a kill can land mid-job.
    throttle_s: float = 0.0

    @classmethod
    def from_env(cls) -> JobSettings:
        return cls(
            lease_s=_env_float("STORYRECORDS_JOB_LEASE_SECONDS", LEASE_S),
            progress_lines=max(1, int(_env_float("STORYRECORDS_JOB_PROGRESS_LINES",
                                                 PROGRESS_LINES))),
            batch_lines=max(1, int(_env_float("STORYRECORDS_JOB_BATCH_LINES", BATCH_LINES))),
            poll_s=_env_float("STORYRECORDS_JOB_POLL_SECONDS", POLL_S),
            throttle_s=_env_float("STORYRECORDS_JOB_THROTTLE_MS", 0.0) / 1000,
        )


@dataclass(frozen=True)
class BodyChunk:
    """Consecutive non-blank lines of a job's body, with their line numbers in the body."""

    index: int
    #: Position of the first line among the job's lines (0-based).
    first: int
    numbers: tuple[int, ...]
    lines: tuple[bytes, ...]

    @property
    def end(self) -> int:
        return self.first + len(self.lines)


def split_body(
    lines: Sequence[tuple[int, bytes]],
    *,
    chunk_bytes: int = CHUNK_BYTES,
    chunk_lines: int = CHUNK_LINES,
) -> list[BodyChunk]:
    """Group ``(number, raw)`` lines into chunks of at most ``chunk_bytes`` / ``chunk_lines``."""
    chunks: list[BodyChunk] = []
    numbers: list[int] = []
    raw: list[bytes] = []
    size = first = 0
    for position, (number, line) in enumerate(lines):
        if raw and (size + len(line) > chunk_bytes or len(raw) >= chunk_lines):
            chunks.append(BodyChunk(len(chunks), first, tuple(numbers), tuple(raw)))
            first, numbers, raw, size = position, [], [], 0
        numbers.append(number)
        raw.append(line)
        size += len(line) + 1
    if raw:
        chunks.append(BodyChunk(len(chunks), first, tuple(numbers), tuple(raw)))
    return chunks


@dataclass(frozen=True)
class Job:
    """A job's record: what was submitted, how far it got, and who holds it."""

    id: str
    total: int
    created_at: str
    status: str = "queued"
    #: The submitting key (its public id and name), for who may read the job.
    key_id: str | None = None
    key_name: str | None = None
    bytes: int = 0
    #: Position of each body chunk's first line.
    chunk_starts: tuple[int, ...] = ()
    #: Lines with a recorded result; the next holder starts here.
    done: int = 0
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    started_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None
    #: The worker holding the lease (``host:pid:nonce``), None when nobody does.
    holder: str | None = None
    lease_s: float = LEASE_S
    #: Claims so far: fences result writes, so an older claim's can never win.
    epoch: int = 0
    #: ``done`` when last claimed: a takeover that finds it unchanged counts a stall.
    claim_done: int = 0
    stalls: int = 0
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def created_us(self) -> int:
        return iso_to_us(self.created_at)

    def chunk_of(self, position: int) -> int:
        """The body chunk holding the line at ``position``."""
        return bisect.bisect_right(self.chunk_starts, position) - 1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["chunk_starts"] = list(self.chunk_starts)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["chunk_starts"] = tuple(values.get("chunk_starts") or ())
        return cls(**values)


def new_job_id() -> str:
    """``j`` and 24 hex digits: random (96 bits), so a job id cannot be guessed."""
    return "j" + secrets.token_hex(12)


def new_job(
    lines: Sequence[tuple[int, bytes]],
    *,
    body_bytes: int,
    key_id: str | None = None,
    key_name: str | None = None,
) -> tuple[Job, list[BodyChunk]]:
    """A queued job over the non-blank ``lines`` of a body, and its body's chunks."""
    chunks = split_body(lines)
    now = now_iso()
    job = Job(
        id=new_job_id(),
        total=len(lines),
        created_at=now,
        updated_at=now,
        key_id=key_id,
        key_name=key_name,
        bytes=body_bytes,
        chunk_starts=tuple(c.first for c in chunks),
    )
    return job, chunks


def count(job: Job, status: str) -> Job:
    """``job`` with one more line done, counted under ``status``."""
    if status == "created":
        return replace(job, done=job.done + 1, created=job.created + 1)
    if status == "unchanged":
        return replace(job, done=job.done + 1, unchanged=job.unchanged + 1)
    return replace(job, done=job.done + 1, rejected=job.rejected + 1)


class JobStore(abc.ABC):
    """Where a store keeps bulk jobs, outside the generations a reindex replaces.

    Every write is durable when it returns (SQLite commits with ``synchronous=FULL``;
    Elasticsearch acknowledges a write once its translog is fsynced). Backends raise
    StoreUnavailable when they cannot be reached, NotFound for an unknown job and Conflict
    when a compare-and-set finds the job changed.
    """

    @abc.abstractmethod
    def create(self, job: Job, chunks: Sequence[BodyChunk]) -> None:
        """Store the body's chunks, then the record (a job that exists is whole)."""

    @abc.abstractmethod
    def get(self, job_id: str) -> tuple[Job, str]:
        """The job's record and its version; NotFound. Sees every acknowledged write."""

    @abc.abstractmethod
    def unfinished(self, limit: int = 100) -> list[tuple[Job, str]]:
        """Queued and running jobs, oldest first."""

    @abc.abstractmethod
    def recent(self, limit: int = 50) -> list[Job]:
        """The newest jobs first, whatever their state."""

    @abc.abstractmethod
    def update(self, job: Job, *, version: str) -> str:
        """Replace the record if it is still at ``version`` (Conflict otherwise); new version."""

    @abc.abstractmethod
    def record(self, job: Job, *, version: str, results: Mapping[int, Sequence[Result]]) -> str:
        """Store result documents (index -> every result it holds so far) and the record.

        The record is compare-and-set on ``version``; a result document is written only under
        ``job.epoch`` at least that of the one it replaces, so a holder that lost the job can
        change neither. Conflict when either check fails; the new version otherwise.
        """

    @abc.abstractmethod
    def chunk(self, job_id: str, index: int) -> BodyChunk:
        """One chunk of a job's body; NotFound (also once the job is done)."""

    @abc.abstractmethod
    def results(self, job_id: str, docs: Sequence[int]) -> dict[int, list[Result]]:
        """Result documents by index (missing ones left out)."""

    @abc.abstractmethod
    def drop_body(self, job: Job) -> None:
        """Delete a finished job's body chunks (nothing happens to its results)."""

    @abc.abstractmethod
    def delete(self, job_id: str) -> None:
        """Forget a job altogether: record, body and results; NotFound when unknown."""


def read_results(
    store: JobStore,
    job: Job,
    *,
    offset: int = 0,
    size: int = 100,
    statuses: Sequence[str] = (),
    scan_docs: int = 50,
) -> tuple[list[Result], int | None]:
    """One page of a job's recorded results from ``offset``, and where the next page starts.

    With ``statuses`` only those lines are returned, scanning at most ``scan_docs`` result
    documents per call (so every call is bounded). The next offset is None only when the
    job is finished and nothing is left; on a running job it may lead to an empty page.
    """
    end = job.done
    offset = max(0, offset)
    if offset >= end:
        return [], None if job.finished else offset
    first = offset // RESULTS_PER_DOC
    wanted = set(statuses)
    if wanted:
        last = min(math.ceil(end / RESULTS_PER_DOC), first + scan_docs)
    else:
        last = math.ceil(min(end, offset + size) / RESULTS_PER_DOC)
    docs = store.results(job.id, list(range(first, last)))
    stop_at = min(end, last * RESULTS_PER_DOC)
    found: list[Result] = []
    position = stop_at
    for at in range(offset, stop_at):
        doc, slot = divmod(at, RESULTS_PER_DOC)
        entries = docs.get(doc, [])
        entry = entries[slot] if slot < len(entries) else None
        if entry is not None and (not wanted or entry["status"] in wanted):
            found.append(entry)
            if len(found) >= size:
                position = at + 1
                break
    if position >= end and job.finished:
        return found, None
    return found, position

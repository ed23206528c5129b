"""Bulk jobs for the embedded store: ``jobs.sqlite3`` beside the store's generations.

Like the keys file, it is outside the generations a reindex writes and retires, so a rebuild
never loses or repeats a job. Each operation opens its own short connection (jobs are touched
every few dozen lines, not per request), in WAL mode with ``synchronous=FULL``: a job is on
disk, fsynced, before :meth:`create` returns. Progress is one transaction (result documents
and record together), compare-and-set on the record's version.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import Conflict, NotFound, StoreUnavailable
from indexer.jobs import BodyChunk, Job, JobStore, Result

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    version INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_us);
CREATE TABLE IF NOT EXISTS job_chunks (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    first INTEGER NOT NULL,
    numbers TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS job_results (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    results TEXT NOT NULL,
    PRIMARY KEY (job_id, idx)
);
"""


class EmbeddedJobStore(JobStore):
    """Jobs, their bodies and their results in one SQLite file, readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the job file {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA synchronous=FULL")  # a commit is fsynced before it returns
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                # Switching a fresh file to WAL fails at once ("database is locked") when
                # several processes try together: take turns, as the store itself does.
                with open(self.path.with_name(self.path.name + ".init.lock"), "a+b") as init:
                    fcntl.flock(init, fcntl.LOCK_EX)
                    conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)  # every time: another process may have switched only
            if write:
                conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                if write:
                    conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"the job file {self.path} failed: {exc}") from exc
        finally:
            conn.close()

    def create(self, job: Job, chunks: Sequence[BodyChunk]) -> None:
        with self._db(write=True) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO job_chunks (job_id, idx, first, numbers, body) "
                "VALUES (?, ?, ?, ?, ?)",
                ((job.id, c.index, c.first, json.dumps(c.numbers), b"\n".join(c.lines))
                 for c in chunks),
            )
            try:
                conn.execute(
                    "INSERT INTO jobs (id, status, created_us, version, record) "
                    "VALUES (?, ?, ?, 1, ?)",
                    (job.id, job.status, job.created_us, json.dumps(job.to_dict())),
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"a job {job.id} already exists") from exc

    def get(self, job_id: str) -> tuple[Job, str]:
        with self._db() as conn:
            row = conn.execute(
                "SELECT record, version FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no job {job_id}")
        return Job.from_dict(json.loads(row[0])), str(row[1])

    def unfinished(self, limit: int = 100) -> list[tuple[Job, str]]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT record, version FROM jobs WHERE status IN ('queued', 'running') "
                "ORDER BY created_us, id LIMIT ?",
                (limit,),
            ).fetchall()
        return [(Job.from_dict(json.loads(record)), str(version)) for record, version in rows]

    def recent(self, limit: int = 50) -> list[Job]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT record FROM jobs ORDER BY created_us DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [Job.from_dict(json.loads(record)) for (record,) in rows]

    def _cas(self, conn: sqlite3.Connection, job: Job, version: str) -> str:
        try:
            expected = int(version)
        except ValueError as exc:
            raise Conflict(f"not a version of this store: {version!r}") from exc
        changed = conn.execute(
            "UPDATE jobs SET status = ?, version = version + 1, record = ? "
            "WHERE id = ? AND version = ?",
            (job.status, json.dumps(job.to_dict()), job.id, expected),
        ).rowcount
        if not changed:
            exists = conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job.id,)).fetchone()
            if exists is None:
                raise NotFound(f"no job {job.id}")
            raise Conflict(f"job {job.id} changed since version {version}")
        return str(expected + 1)

    def update(self, job: Job, *, version: str) -> str:
        with self._db(write=True) as conn:
            return self._cas(conn, job, version)

    def record(self, job: Job, *, version: str, results: Mapping[int, Sequence[Result]]) -> str:
        with self._db(write=True) as conn:
            new_version = self._cas(conn, job, version)
            for idx, entries in results.items():
                row = conn.execute(
                    "SELECT epoch FROM job_results WHERE job_id = ? AND idx = ?", (job.id, idx)
                ).fetchone()
                if row is not None and row[0] > job.epoch:
                    raise Conflict(f"job {job.id}: results {idx} were written by a later claim")
                conn.execute(
                    "INSERT OR REPLACE INTO job_results (job_id, idx, epoch, results) "
                    "VALUES (?, ?, ?, ?)",
                    (job.id, idx, job.epoch, json.dumps(list(entries))),
                )
            return new_version

    def chunk(self, job_id: str, index: int) -> BodyChunk:
        with self._db() as conn:
            row = conn.execute(
                "SELECT first, numbers, body FROM job_chunks WHERE job_id = ? AND idx = ?",
                (job_id, index),
            ).fetchone()
        if row is None:
            raise NotFound(f"job {job_id} has no body chunk {index}")
        first, numbers, body = row
        return BodyChunk(index, first, tuple(json.loads(numbers)), tuple(bytes(body).split(b"\n")))

    def results(self, job_id: str, docs: Sequence[int]) -> dict[int, list[Result]]:
        if not docs:
            return {}
        marks = ", ".join("?" for _ in docs)
        with self._db() as conn:
            rows = conn.execute(
                f"SELECT idx, results FROM job_results WHERE job_id = ? AND idx IN ({marks})",
                (job_id, *docs),
            ).fetchall()
        return {idx: json.loads(results) for idx, results in rows}

    def drop_body(self, job: Job) -> None:
        with self._db(write=True) as conn:
            conn.execute("DELETE FROM job_chunks WHERE job_id = ?", (job.id,))

    def delete(self, job_id: str) -> None:
        with self._db(write=True) as conn:
            gone = conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount
            conn.execute("DELETE FROM job_chunks WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM job_results WHERE job_id = ?", (job_id,))
        if not gone:
            raise NotFound(f"no job {job_id}")

"""API keys for the embedded store: ``keys.sqlite3`` beside the store's generations.

A reindex writes a new SQLite generation and retires the old one; keys live in a file of
their own so no rebuild ever copies, loses or resurrects one. Each operation opens its own
short connection: keys are read rarely (the API caches them for a few seconds) and this way
every process sees a new or revoked key on its next lookup.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import Conflict, NotFound, StoreUnavailable
from indexer.keys import KeyRecord, KeyRing

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    digest TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
"""
_COLUMNS = "key_id, name, digest, scopes, created_at, last_used_at"


class EmbeddedKeyRing(KeyRing):
    """Key records in one SQLite file, readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the key file {self.path}: {exc}") from exc
        try:
            conn.executescript(SCHEMA)
            yield conn
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the key file {self.path} failed: {exc}") from exc
        finally:
            conn.close()

    def add(self, record: KeyRecord) -> None:
        with self._db() as conn:
            try:
                conn.execute(
                    f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                    (record.key_id, record.name, record.digest, json.dumps(record.scopes),
                     record.created_at, record.last_used_at),
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"a key named {record.name!r} already exists") from exc

    def find(self, key_id: str) -> KeyRecord | None:
        with self._db() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        return _record(row) if row else None

    def all(self) -> list[KeyRecord]:
        with self._db() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY name").fetchall()
        return [_record(row) for row in rows]

    def revoke(self, name: str) -> None:
        with self._db() as conn:
            gone = conn.execute("DELETE FROM api_keys WHERE name = ?", (name,)).rowcount
        if not gone:
            raise NotFound(f"no key named {name!r}")

    def touch(self, key_id: str, when: str) -> None:
        with self._db() as conn:
            conn.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (when, key_id))


def _record(row: tuple[str, str, str, str, str, str | None]) -> KeyRecord:
    key_id, name, digest, scopes, created_at, last_used_at = row
    return KeyRecord(key_id, name, digest, tuple(json.loads(scopes)), created_at, last_used_at)

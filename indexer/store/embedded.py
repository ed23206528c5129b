"""Embedded backend: one SQLite file with FTS5, for a laptop, a demo or a test.

It implements the whole Store interface (no quiet gaps): the same contract suite runs
against it and against Elasticsearch.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import Conflict, Moved, NotFound, StoreUnavailable
from indexer.facets import event_day, event_facet_terms, facet_terms
from indexer.models import Article, Event
from indexer.store.base import PutResult, Store
from indexer.store.paging import (
    PagePlan,
    Row,
    article_taken,
    changed_since,
    cut_page,
    final_target,
    plan_page,
)
from indexer.store.query import FacetBucket, SearchPage, SearchQuery
from indexer.store.query import words as _words_of
from indexer.timefmt import day_after, day_start, iso_to_us, now_iso, utc_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_utc TEXT,
    indexed_us INTEGER NOT NULL,
    event_id TEXT
);
CREATE INDEX IF NOT EXISTS articles_by_event ON articles(event_id);
CREATE TABLE IF NOT EXISTS events (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT,
    version INTEGER NOT NULL,
    redirect_to TEXT,
    published_utc TEXT,
    indexed_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_facets (
    article_rowid INTEGER NOT NULL REFERENCES events(rowid) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (facet, value, article_rowid)
);
CREATE INDEX IF NOT EXISTS event_facets_by_event ON event_facets(article_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    title, text, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS facets (
    article_rowid INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (facet, value, article_rowid)
);
CREATE INDEX IF NOT EXISTS facets_by_article ON facets(article_rowid);
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published_utc);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, text, tokenize = 'unicode61 remove_diacritics 2'
);
"""

@dataclass(frozen=True)
class _Table:
    """One searchable collection: its rows, full-text index and facet table.

    Articles and events share one search implementation; ``published_utc`` is the
    publication time of an article and the day of an event.
    """

    rows: str
    fts: str
    facets: str
    live: str  # SQL condition for rows that are searchable


ARTICLES = _Table("articles", "articles_fts", "facets", "1 = 1")
EVENTS = _Table("events", "events_fts", "event_facets", "a.redirect_to IS NULL")

# Sort expressions: (SQL expression, direction, comparison for "after the cursor").
_SORTS: dict[str, tuple[str, str, str]] = {
    "relevance": ("score", "ASC", ">"),  # bm25(): lower is better
    "newest": ("COALESCE(a.published_utc, '')", "DESC", "<"),
    "oldest": ("COALESCE(a.published_utc, '9999')", "ASC", ">"),
}


class EmbeddedStore(Store):
    """SQLite in WAL mode; one connection guarded by a lock, so threads can share the store."""

    def __init__(self, path: Path | str, *, follow: bool = True) -> None:
        """Open the store whose home is ``path``.

        A rebuild writes a new generation file and points ``<path>.current`` at it; with
        ``follow`` (the default) every operation notices the switch and moves over, so all
        processes serving the store change generation together and no write lands in a
        retired file.
        """
        self.path = Path(path)
        self._pointer = self.path.with_name(self.path.name + ".current")
        self._follow_pointer = follow
        self._lock = threading.RLock()
        self._assign_lock = threading.Lock()
        self._lock_path = self.path.with_name(self.path.name + ".assign.lock")
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot open the embedded store at {self.path}: {exc}") from exc
        self._seen = self._pointer_state()
        self.file = self._active_file()
        self._conn = self._connect(self.file)

    def _pointer_state(self) -> tuple[int, int] | None:
        if not self._follow_pointer:
            return None
        try:
            st = self._pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _active_file(self) -> Path:
        if self._follow_pointer and self._pointer.exists():
            return self.path.with_name(self._pointer.read_text(encoding="utf-8").strip())
        return self.path

    def _connect(self, file: Path) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(file, check_same_thread=False, isolation_level=None, timeout=30)
            # Switching a fresh file to WAL can fail with "database is locked" at once (no busy
            # wait) when several processes open it together: take turns setting it up.
            with open(file.with_name(file.name + ".init.lock"), "a+b") as init:
                fcntl.flock(init, fcntl.LOCK_EX)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the embedded store at {file}: {exc}") from exc
        return conn

    def _follow(self) -> None:
        """Move to the live generation if a rebuild switched it (one stat per operation)."""
        state = self._pointer_state()
        if state == self._seen:
            return
        with self._lock:
            state = self._pointer_state()
            if state == self._seen:
                return
            file = self._active_file()
            if file != self.file:
                new = self._connect(file)
                self._conn.close()
                self._conn, self.file = new, file
            self._seen = state

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database lock up front (no lost updates)."""
        self._follow()
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"embedded store is busy or broken: {exc}") from exc
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def _reader(self) -> sqlite3.Connection:
        """This thread's own read connection: in WAL mode reads run side by side.

        Writes share one connection behind a lock; reads would queue behind it for no reason.
        """
        self._follow()
        local = self._local
        if getattr(local, "conn", None) is None or local.file != self.file:
            if getattr(local, "conn", None) is not None:  # a rebuild switched generations
                with self._lock:
                    self._readers.remove(local.conn)
                local.conn.close()
            try:
                conn = sqlite3.connect(
                    self.file, check_same_thread=False, isolation_level=None, timeout=30
                )
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot read the embedded store: {exc}") from exc
            with self._lock:
                self._readers.append(conn)
            local.conn, local.file = conn, self.file
        found: sqlite3.Connection = local.conn
        return found

    def _read(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            return list(self._reader().execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"embedded store query failed: {exc}") from exc

    def ping(self) -> None:
        self._read("SELECT 1")

    def put_article(self, article: Article) -> PutResult:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT content_hash FROM articles WHERE id = ?", (article.id,)
            ).fetchone()
            if row is not None:
                if row[0] == article.content_hash:
                    return PutResult.UNCHANGED
                raise article_taken(article.id)
            cur = conn.execute(
                "INSERT INTO articles (id, doc, content_hash, published_utc, indexed_us) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    article.id,
                    json.dumps(article.to_dict(), ensure_ascii=False),
                    article.content_hash,
                    utc_iso(article.published_at),
                    iso_to_us(article.indexed_at),
                ),
            )
            rowid = cur.lastrowid
            conn.execute(
                "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
                (rowid, article.title or "", article.text),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO facets (article_rowid, facet, value, label) "
                "VALUES (?, ?, ?, ?)",
                [
                    (rowid, facet, value, label)
                    for facet, pairs in facet_terms(article).items()
                    for value, label in pairs
                ],
            )
        return PutResult.CREATED

    def get_article(self, article_id: str) -> Article:
        rows = self._read("SELECT doc FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise NotFound(f"no article with id {article_id}")
        return Article.from_dict(json.loads(rows[0][0]))

    def delete_article(self, article_id: str) -> None:
        with self._tx() as conn:
            row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                raise NotFound(f"no article with id {article_id}")
            conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (row[0],))
            conn.execute("DELETE FROM facets WHERE article_rowid = ?", (row[0],))
            conn.execute("DELETE FROM articles WHERE rowid = ?", (row[0],))

    def count_articles(self) -> int:
        return int(self._read("SELECT count(*) FROM articles")[0][0])

    def search_articles(self, query: SearchQuery) -> SearchPage:
        return self._search(ARTICLES, query, Article.from_dict)

    def _search(
        self, table: _Table, query: SearchQuery, decode: Callable[[Any], Any]
    ) -> SearchPage:
        """Evaluate the text match once into a temporary table; total, page and every facet
        count then filter that table (each facet without its own selection)."""
        match = _fts_expression(query)
        plan = plan_page(query, has_text=match is not None)
        base_sql, base_params = _base(table, query, match, plan.snapshot_us)
        conn = self._reader()
        try:
            conn.execute("DROP TABLE IF EXISTS temp.hits")
            conn.execute(f"CREATE TEMP TABLE hits AS {base_sql}", base_params)
            return self._page(conn, table, query, plan, decode)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"embedded store query failed: {exc}") from exc
        finally:
            conn.execute("DROP TABLE IF EXISTS temp.hits")

    def _page(
        self,
        conn: sqlite3.Connection,
        table: _Table,
        query: SearchQuery,
        plan: PagePlan,
        decode: Callable[[Any], Any],
    ) -> SearchPage:
        where, params = _facet_filters(table, query.filters)
        total = int(conn.execute(f"SELECT count(*) FROM temp.hits h WHERE 1 = 1{where}",
                                 params).fetchone()[0])

        expr, direction, after_op = _SORTS[plan.sort]
        page_sql = (
            f"SELECT a.id, a.doc, {expr} AS sortkey FROM temp.hits h "
            f"JOIN {table.rows} a ON a.rowid = h.rowid WHERE 1 = 1{where}"
        )
        page_params = list(params)
        if query.cursor is not None:
            key, last_id = query.cursor.after
            page_sql += f" AND ({expr} {after_op} ? OR ({expr} = ? AND a.id > ?))"
            page_params += [key, key, last_id]
        page_sql += f" ORDER BY sortkey {direction}, a.id ASC LIMIT ?"
        page_params.append(plan.fetch)
        rows = [
            Row(key=r[2], id=r[0], doc=json.loads(r[1]))
            for r in conn.execute(page_sql, page_params).fetchall()
        ]
        facets = {}
        for facet in query.facets:
            other, other_params = _facet_filters(table, query.other_filters(facet))
            found = conn.execute(
                f"SELECT value, MIN(label), count(*) AS n FROM {table.facets} "
                "WHERE facet = ? AND article_rowid IN "
                f"(SELECT h.rowid FROM temp.hits h WHERE 1 = 1{other}) "
                "GROUP BY value ORDER BY n DESC, value ASC LIMIT ?",
                [facet, *other_params, query.facet_size],
            ).fetchall()
            facets[facet] = [FacetBucket(value=r[0], label=r[1], count=r[2]) for r in found]
        return cut_page(rows, plan, query, total=total, facets=facets, decode=decode)

    def iter_articles(self) -> Iterator[Article]:
        last = 0
        while True:
            rows = self._read(
                "SELECT rowid, doc FROM articles WHERE rowid > ? ORDER BY rowid LIMIT 500", (last,)
            )
            if not rows:
                return
            for row in rows:
                yield Article.from_dict(json.loads(row[1]))
            last = rows[-1][0]

    # -- events ---------------------------------------------------------------------------

    @contextmanager
    def assignment_lock(self) -> Iterator[None]:
        """A thread lock plus an exclusive file lock, so gunicorn workers take turns too."""
        with self._assign_lock, open(self._lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def candidate_events(self, terms: Sequence[str], limit: int) -> list[Event]:
        words = [w for t in terms for w in _words_of(t)]
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        rows = self._read(
            "SELECT e.doc FROM events_fts JOIN events e ON e.rowid = events_fts.rowid "
            "WHERE events_fts MATCH ? AND e.redirect_to IS NULL "
            "ORDER BY bm25(events_fts), e.id LIMIT ?",
            (match, limit),
        )
        return [Event.from_dict(json.loads(r[0])) for r in rows]

    def get_event(self, event_id: str) -> tuple[Event, str]:
        rows = self._read(
            "SELECT doc, version, redirect_to FROM events WHERE id = ?", (event_id,)
        )
        if not rows:
            raise NotFound(f"no event with id {event_id}")
        doc, version, redirect = rows[0]
        if redirect is not None:
            raise Moved(event_id, self._final(redirect))
        return Event.from_dict(json.loads(doc)), str(version)

    def _final(self, event_id: str) -> str:
        def redirect_of(record_id: str) -> str | None:
            rows = self._read("SELECT redirect_to FROM events WHERE id = ?", (record_id,))
            return rows[0][0] if rows else None

        return final_target(event_id, redirect_of)

    def put_event(self, event: Event, *, version: str | None, text: str) -> str:
        doc = json.dumps(event.to_dict(), ensure_ascii=False)
        day = event_day(event)
        with self._tx() as conn:
            if version is None:
                if conn.execute("SELECT 1 FROM events WHERE id = ?", (event.id,)).fetchone():
                    raise Conflict(f"event {event.id} already exists")
                cur = conn.execute(
                    "INSERT INTO events (id, doc, version, published_utc, indexed_us) "
                    "VALUES (?, ?, 1, ?, ?)",
                    (event.id, doc, day_start(day) if day else None, iso_to_us(event.first_seen)),
                )
                rowid, new_version = cur.lastrowid, 1
            else:
                cur = conn.execute(
                    "UPDATE events SET doc = ?, version = version + 1, published_utc = ? "
                    "WHERE id = ? AND version = ? AND redirect_to IS NULL",
                    (doc, day_start(day) if day else None, event.id, int(version)),
                )
                if cur.rowcount != 1:
                    raise changed_since("event", event.id, version)
                rowid = conn.execute(
                    "SELECT rowid FROM events WHERE id = ?", (event.id,)
                ).fetchone()[0]
                new_version = int(version) + 1
                conn.execute("DELETE FROM events_fts WHERE rowid = ?", (rowid,))
                conn.execute("DELETE FROM event_facets WHERE article_rowid = ?", (rowid,))
            conn.execute(
                "INSERT INTO events_fts (rowid, title, text) VALUES (?, ?, ?)",
                (rowid, event.title, text),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO event_facets (article_rowid, facet, value, label) "
                "VALUES (?, ?, ?, ?)",
                [
                    (rowid, facet, value, label)
                    for facet, pairs in event_facet_terms(event).items()
                    for value, label in pairs
                ],
            )
        return str(new_version)

    def retire_event(self, event_id: str, into: str, *, version: str) -> None:
        self._drop_event(event_id, version, redirect_to=into)

    def delete_event(self, event_id: str, *, version: str) -> None:
        self._drop_event(event_id, version, redirect_to=None)

    def add_redirect(self, event_id: str, into: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO events (id, doc, version, redirect_to, indexed_us) "
                "VALUES (?, NULL, 1, ?, 0) "
                "ON CONFLICT(id) DO UPDATE SET redirect_to = excluded.redirect_to "
                "WHERE events.redirect_to IS NOT NULL",
                (event_id, into),
            )

    def redirects(self) -> dict[str, str]:
        rows = self._read("SELECT id, redirect_to FROM events WHERE redirect_to IS NOT NULL")
        return {row[0]: row[1] for row in rows}

    def _drop_event(self, event_id: str, version: str, redirect_to: str | None) -> None:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT rowid FROM events WHERE id = ? AND version = ? AND redirect_to IS NULL",
                (event_id, int(version)),
            ).fetchone()
            if row is None:
                raise changed_since("event", event_id, version)
            conn.execute("DELETE FROM events_fts WHERE rowid = ?", (row[0],))
            conn.execute("DELETE FROM event_facets WHERE article_rowid = ?", (row[0],))
            if redirect_to is None:
                conn.execute("DELETE FROM events WHERE rowid = ?", (row[0],))
            else:
                conn.execute(
                    "UPDATE events SET doc = NULL, redirect_to = ?, version = version + 1 "
                    "WHERE rowid = ?",
                    (redirect_to, row[0]),
                )

    def set_article_event(self, article_id: str, event_id: str | None) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE articles SET event_id = ?, doc = json_set(doc, '$.event_id', ?) "
                "WHERE id = ?",
                (event_id, event_id, article_id),
            )
            if cur.rowcount != 1:
                raise NotFound(f"no article with id {article_id}")

    def articles_of_event(self, event_id: str) -> list[Article]:
        rows = self._read(
            "SELECT doc FROM articles WHERE event_id = ? ORDER BY indexed_us, id", (event_id,)
        )
        return [Article.from_dict(json.loads(r[0])) for r in rows]

    def search_events(self, query: SearchQuery) -> SearchPage:
        return self._search(EVENTS, query, Event.from_dict)

    # -- rebuilds -------------------------------------------------------------------------

    def begin_rebuild(self) -> EmbeddedStore:
        stamp = now_iso().replace(":", "").replace("-", "").replace(".", "")
        return EmbeddedStore(self.path.with_name(f"{self.path.stem}.{stamp}.sqlite3"), follow=False)

    def activate(self, rebuilt: Store) -> EmbeddedStore:
        if not isinstance(rebuilt, EmbeddedStore) or rebuilt.path.parent != self.path.parent:
            raise ValueError("can only activate a rebuild begun from this store")
        self._follow()
        retired = self.file
        with rebuilt._lock:
            rebuilt._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        staging = self._pointer.with_name(self._pointer.name + ".tmp")
        staging.write_text(rebuilt.path.name, encoding="utf-8")
        staging.replace(self._pointer)  # atomic: every process switches on its next operation
        self._follow()
        return EmbeddedStore(retired, follow=False)

    def drop(self) -> None:
        if self._is_live():
            raise ValueError(f"{self.file} is live; only a retired generation can be dropped")
        self.close()
        for suffix in ("", "-wal", "-shm", ".init.lock", ".assign.lock"):
            self.file.with_name(self.file.name + suffix).unlink(missing_ok=True)

    def _is_live(self) -> bool:
        """Named by a home's pointer, or a home that was never rebuilt."""
        for pointer in self.file.parent.glob("*.current"):
            if pointer.read_text(encoding="utf-8").strip() == self.file.name:
                return True
        own_pointer = self.file.with_name(self.file.name + ".current")
        return self.file == self.path and "." not in self.path.stem and not own_pointer.exists()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            for reader in self._readers:
                reader.close()
            self._readers.clear()


def _fts_expression(query: SearchQuery) -> str | None:
    """FTS5 MATCH text built only from quoted tokens, so user input is never FTS syntax."""
    terms = query.terms()
    if not terms:
        return None
    return " ".join('"' + t.text.replace('"', "") + '"' for t in terms)


def _base(
    table: _Table, query: SearchQuery, match: str | None, snapshot: int
) -> tuple[str, list[Any]]:
    """SQL selecting (rowid, score) of rows matching text, dates and scope (no facet filters)."""
    params: list[Any] = []
    if match is not None:
        sql = (
            f"SELECT a.rowid AS rowid, bm25({table.fts}) AS score FROM {table.fts} "
            f"JOIN {table.rows} a ON a.rowid = {table.fts}.rowid WHERE {table.fts} MATCH ?"
        )
        params.append(match)
    else:
        sql = f"SELECT a.rowid AS rowid, 0.0 AS score FROM {table.rows} a WHERE 1 = 1"
    sql += f" AND {table.live} AND a.indexed_us <= ?"
    params.append(snapshot)
    if query.event_id is not None and table is ARTICLES:
        sql += " AND a.event_id = ?"
        params.append(query.event_id)
    if query.date_from:
        sql += " AND a.published_utc >= ?"
        params.append(day_start(query.date_from))
    if query.date_to:
        sql += " AND a.published_utc < ?"
        params.append(day_after(query.date_to))
    return sql, params


def _facet_filters(
    table: _Table, filters: Mapping[str, tuple[str, ...]]
) -> tuple[str, list[Any]]:
    """``AND`` clauses on ``h.rowid``: OR within a facet's values, AND across facets."""
    sql, params = "", []
    for facet, values in sorted(filters.items()):
        if not values:
            continue
        marks = ", ".join("?" for _ in values)
        sql += (
            f" AND h.rowid IN (SELECT article_rowid FROM {table.facets} "
            f"WHERE facet = ? AND value IN ({marks}))"
        )
        params += [facet, *values]
    return sql, params

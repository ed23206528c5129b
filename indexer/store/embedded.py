"""Embedded backend: one SQLite file with FTS5, for a laptop, a demo or a test.

It implements the whole Store interface (no quiet gaps): the same contract suite runs
against it and against Elasticsearch.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from indexer.errors import Conflict, Moved, NotFound, StoreFull, StoreUnavailable
from indexer.facets import (
    FacetTerms,
    event_day,
    event_facet_terms,
    event_text,
    facet_terms,
    story_day,
    story_facet_terms,
)
from indexer.models import Article, Event, Story
from indexer.store.base import Candidate, PutResult, RecordWrite, Store
from indexer.store.facet_memo import FacetMemo
from indexer.store.facet_memo import schema as _memo_schema
from indexer.store.jobs_embedded import EmbeddedJobStore
from indexer.store.keys_embedded import EmbeddedKeyRing
from indexer.store.paging import (
    PagePlan,
    Row,
    article_taken,
    changed_since,
    cut_page,
    final_target,
    hit_fields,
    partial,
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
    event_id TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS articles_by_event ON articles(event_id);
-- Syndicated copies only (few): what `duplicates=exclude` leaves out, without reading docs.
CREATE INDEX IF NOT EXISTS articles_copies ON articles(id)
    WHERE json_extract(doc, '$.duplicate_of') IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT,
    version INTEGER NOT NULL,
    redirect_to TEXT,
    published_utc TEXT,
    indexed_us INTEGER NOT NULL,
    story_id TEXT
);
CREATE INDEX IF NOT EXISTS events_by_story ON events(story_id);
-- events_founded_since, under the assignment lock on every ingest: no scan of every event.
CREATE INDEX IF NOT EXISTS events_by_indexed ON events(indexed_us);
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
CREATE INDEX IF NOT EXISTS facets_cover ON facets(article_rowid, facet, value, label);
CREATE INDEX IF NOT EXISTS event_facets_cover ON event_facets(article_rowid, facet, value, label);
-- Counts per facet value over every record, kept by triggers: the unfiltered sidebar (the
-- front page) is read from here instead of counting every record on every request.
CREATE TABLE IF NOT EXISTS facet_counts (
    facet TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (facet, value)
);
CREATE INDEX IF NOT EXISTS facet_counts_by_n ON facet_counts(facet, n DESC, value);
CREATE TABLE IF NOT EXISTS event_facet_counts (
    facet TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (facet, value)
);
CREATE INDEX IF NOT EXISTS event_facet_counts_by_n ON event_facet_counts(facet, n DESC, value);
CREATE TRIGGER IF NOT EXISTS facets_counted AFTER INSERT ON facets BEGIN
    INSERT INTO facet_counts (facet, value, label, n) VALUES (new.facet, new.value, new.label, 1)
    ON CONFLICT (facet, value) DO UPDATE SET n = n + 1, label = min(label, excluded.label);
END;
CREATE TRIGGER IF NOT EXISTS facets_uncounted AFTER DELETE ON facets BEGIN
    UPDATE facet_counts SET n = n - 1 WHERE facet = old.facet AND value = old.value;
    DELETE FROM facet_counts WHERE facet = old.facet AND value = old.value AND n <= 0;
END;
CREATE TRIGGER IF NOT EXISTS event_facets_counted AFTER INSERT ON event_facets BEGIN
    INSERT INTO event_facet_counts (facet, value, label, n)
    VALUES (new.facet, new.value, new.label, 1)
    ON CONFLICT (facet, value) DO UPDATE SET n = n + 1, label = min(label, excluded.label);
END;
CREATE TRIGGER IF NOT EXISTS event_facets_uncounted AFTER DELETE ON event_facets BEGIN
    UPDATE event_facet_counts SET n = n - 1 WHERE facet = old.facet AND value = old.value;
    DELETE FROM event_facet_counts WHERE facet = old.facet AND value = old.value AND n <= 0;
END;
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published_utc);
-- Narrow covering indexes keyed by rowid: a search reads the few columns it filters and sorts
-- on from here, not from the record row, whose doc (several KB) pushes every later column
-- onto overflow pages (at 100k articles: a common word's match 186 -> 81 ms, its sort for
-- one page 146 -> 24 ms). The doc is read only for the page's own rows.
CREATE INDEX IF NOT EXISTS articles_narrow
    ON articles(rowid, indexed_us, published_utc, id, event_id);
CREATE INDEX IF NOT EXISTS events_narrow
    ON events(rowid, redirect_to, indexed_us, published_utc, id);
CREATE TABLE IF NOT EXISTS stories (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT,
    version INTEGER NOT NULL,
    redirect_to TEXT,
    published_utc TEXT,
    indexed_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS stories_narrow
    ON stories(rowid, redirect_to, indexed_us, published_utc, id);
CREATE VIRTUAL TABLE IF NOT EXISTS stories_fts USING fts5(
    title, text, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS story_facets (
    article_rowid INTEGER NOT NULL REFERENCES stories(rowid) ON DELETE CASCADE,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (facet, value, article_rowid)
);
CREATE INDEX IF NOT EXISTS story_facets_cover ON story_facets(article_rowid, facet, value, label);
CREATE TABLE IF NOT EXISTS story_facet_counts (
    facet TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (facet, value)
);
CREATE TRIGGER IF NOT EXISTS story_facets_counted AFTER INSERT ON story_facets BEGIN
    INSERT INTO story_facet_counts (facet, value, label, n)
    VALUES (new.facet, new.value, new.label, 1)
    ON CONFLICT (facet, value) DO UPDATE SET n = n + 1, label = min(label, excluded.label);
END;
CREATE TRIGGER IF NOT EXISTS story_facets_uncounted AFTER DELETE ON story_facets BEGIN
    UPDATE story_facet_counts SET n = n - 1 WHERE facet = old.facet AND value = old.value;
    DELETE FROM story_facet_counts WHERE facet = old.facet AND value = old.value AND n <= 0;
END;
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, text, tokenize = 'unicode61 remove_diacritics 2'
);
""" + _memo_schema()  # the facet change log that keeps each process's facet memo current

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
    counts: str  # the trigger-kept counts of ``facets``
    kind: str  # how messages name one record
    narrow: str  # the covering index of the columns a search filters and sorts on


ARTICLES = _Table("articles", "articles_fts", "facets", "1 = 1", "facet_counts", "article",
                  "articles_narrow")
EVENTS = _Table("events", "events_fts", "event_facets", "a.redirect_to IS NULL",
                "event_facet_counts", "event", "events_narrow")
STORIES = _Table("stories", "stories_fts", "story_facets", "a.redirect_to IS NULL",
                 "story_facet_counts", "story", "stories_narrow")

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
        self._rebuild_lock_path = self.path.with_name(self.path.name + ".rebuild.lock")
        self._base: str | None = None  # for a rebuild: the live file it began from
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        # Facet counts of a search are taken from memory (see facet_memo), one per collection.
        self._memos = {t.facets: FacetMemo(t.facets) for t in (ARTICLES, EVENTS, STORIES)}
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
                # FULL: a commit is fsynced before it returns, so an acknowledged write
                # survives a power loss, not only a crash of this process.
                conn.execute("PRAGMA synchronous=FULL")
                _migrate(conn)
                conn.executescript(SCHEMA)
                _fill_counts(conn)
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
        """A write transaction that takes the database lock up front (no lost updates).

        Inside :meth:`write_batch` each write is a savepoint of the batch's one transaction
        (one fsync for the batch), undone alone when it fails its compare-and-set.
        """
        if getattr(self._local, "batch", False):
            with self._lock:
                self._conn.execute("SAVEPOINT one_write")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK TO one_write")
                    raise
                finally:
                    self._conn.execute("RELEASE one_write")
            return
        self._follow()
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _unavailable(exc, "start a write") from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _unavailable(exc, "write") from exc
                raise

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
            outcome = self._insert(conn, article)
        if isinstance(outcome, Conflict):
            raise outcome
        return outcome

    def put_articles(self, articles: Sequence[Article]) -> list[PutResult | Conflict]:
        with self._tx() as conn:
            return [self._insert(conn, article) for article in articles]

    def _insert(self, conn: sqlite3.Connection, article: Article) -> PutResult | Conflict:
        """Insert one article inside the caller's transaction (or say why not)."""
        row = conn.execute(
            "SELECT content_hash FROM articles WHERE id = ?", (article.id,)
        ).fetchone()
        if row is not None:
            if row[0] == article.content_hash:
                return PutResult.UNCHANGED
            return article_taken(article.id)
        cur = conn.execute(
            "INSERT INTO articles (id, doc, content_hash, published_utc, indexed_us, event_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                article.id,
                json.dumps(article.to_dict(), ensure_ascii=False),
                article.content_hash,
                utc_iso(article.published_at),
                iso_to_us(article.indexed_at),
                article.event_id,
            ),
        )
        assert cur.lastrowid is not None
        self._index_article(conn, cur.lastrowid, article)
        return PutResult.CREATED

    def write_batch(self, writes: Sequence[RecordWrite]) -> list[Conflict | None]:
        """Every write in one transaction: one fsync for the batch, not one per write."""
        with self._tx():
            self._local.batch = True
            try:
                return super().write_batch(writes)
            finally:
                self._local.batch = False

    def get_article(self, article_id: str) -> Article:
        rows = self._read("SELECT doc FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise NotFound(f"no article with id {article_id}")
        return Article.from_dict(json.loads(rows[0][0]))

    def get_article_versioned(self, article_id: str) -> tuple[Article, str]:
        rows = self._read("SELECT doc, version FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise NotFound(f"no article with id {article_id}")
        return Article.from_dict(json.loads(rows[0][0])), str(rows[0][1])

    def get_articles(self, article_ids: Sequence[str]) -> list[Article]:
        found: dict[str, Article] = {}
        wanted = list(dict.fromkeys(article_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in self._read(f"SELECT id, doc FROM articles WHERE id IN ({marks})", chunk):
                found[row[0]] = Article.from_dict(json.loads(row[1]))
        return [found[i] for i in wanted if i in found]

    def refresh(self) -> None:
        """Every committed write is visible to the next read already."""

    def delete_article(self, article_id: str, *, version: str | None = None) -> None:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT rowid, version FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no article with id {article_id}")
            if version is not None and str(row[1]) != version:
                raise changed_since("article", article_id, version)
            conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (row[0],))
            conn.execute("DELETE FROM facets WHERE article_rowid = ?", (row[0],))
            conn.execute("DELETE FROM articles WHERE rowid = ?", (row[0],))

    def count_articles(self) -> int:
        return int(self._read("SELECT count(*) FROM articles")[0][0])

    def warm(self) -> None:
        """Build this process's facet memos (seconds at 100k articles) before any search."""
        for table in (ARTICLES, EVENTS, STORIES):
            conn = self._reader()
            conn.execute("BEGIN")
            try:
                self._memos[table.facets].refresh(conn, self._local.file)
            finally:
                conn.execute("COMMIT")

    def search_articles(self, query: SearchQuery) -> SearchPage:
        return self._search(ARTICLES, query, Article.from_dict)

    def _search(
        self, table: _Table, query: SearchQuery, decode: Callable[[Any], Any]
    ) -> SearchPage:
        """One page, its total and every facet's counts, in a handful of indexed queries.

        A text match is evaluated once into a temporary table; without text the records are
        read in place. Facet counts start from the matching records and reach their facet
        rows through a covering index; the unfiltered counts of a search without text come
        from the trigger-kept totals.
        """
        match = _fts_expression(query)
        plan = plan_page(query, has_text=match is not None)
        wanted = hit_fields(query)
        if wanted is not None:
            decode = partial(wanted)
        base_sql, base_params = _base(table, query, match, plan.snapshot_us,
                                      ranked=plan.sort == "relevance")
        conn = self._reader()
        file: Path = self._local.file
        try:
            # One read transaction: the matches, the page and the facet rows (memo) counted
            # are one snapshot.
            conn.execute("BEGIN")
            if match is None:
                # Every record of the scope, read in place; "everything" when nothing narrows
                # it, so unfiltered facet counts can come from the kept totals.
                everything = (
                    not query.date_from and not query.date_to and query.event_id is None
                    and getattr(query, "duplicates", "include") != "exclude"
                )
                return self._page(conn, file, table, query, plan, decode, f"({base_sql})",
                                  base_params, everything=everything)
            conn.execute("DROP TABLE IF EXISTS temp.hits")
            conn.execute(f"CREATE TEMP TABLE hits AS {base_sql}", base_params)
            return self._page(conn, file, table, query, plan, decode, "temp.hits", [])
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"embedded store query failed: {exc}") from exc
        finally:
            try:
                conn.execute("DROP TABLE IF EXISTS temp.hits")
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def _page(
        self,
        conn: sqlite3.Connection,
        file: Path,
        table: _Table,
        query: SearchQuery,
        plan: PagePlan,
        decode: Callable[[Any], Any],
        source: str,
        source_params: list[Any],
        *,
        everything: bool = False,
    ) -> SearchPage:
        where, params = _facet_filters(table, query.filters)
        total = int(conn.execute(f"SELECT count(*) FROM {source} h WHERE 1 = 1{where}",
                                 [*source_params, *params]).fetchone()[0])

        expr, direction, after_op = _SORTS[plan.sort]
        page_sql = (
            f"SELECT a.rowid, a.id, {expr} AS sortkey FROM {source} h "
            f"JOIN {table.rows} a INDEXED BY {table.narrow} ON a.rowid = h.rowid WHERE 1 = 1{where}"
        )
        page_params = [*source_params, *params]
        if query.cursor is not None:
            key, last_id = query.cursor.after
            page_sql += f" AND ({expr} {after_op} ? OR ({expr} = ? AND a.id > ?))"
            page_params += [key, key, last_id]
        page_sql += f" ORDER BY sortkey {direction}, a.id ASC LIMIT ?"
        page_params.append(plan.fetch)
        keys = conn.execute(page_sql, page_params).fetchall()
        marks = ", ".join("?" for _ in keys)
        docs = dict(conn.execute(
            f"SELECT rowid, doc FROM {table.rows} WHERE rowid IN ({marks})", [k[0] for k in keys]
        ).fetchall()) if keys else {}
        rows = [Row(key=k[2], id=k[1], doc=json.loads(docs[k[0]])) for k in keys]
        facets = self._facet_counts(conn, file, table, query, source, source_params, everything)
        return cut_page(rows, plan, query, total=total, facets=facets, decode=decode)

    def _facet_counts(
        self,
        conn: sqlite3.Connection,
        file: Path,
        table: _Table,
        query: SearchQuery,
        source: str,
        source_params: list[Any],
        everything: bool,
    ) -> dict[str, list[FacetBucket]]:
        """Every facet's top values, each under the other facets' filters.

        Facets whose "other filters" are the same share one count; with no filter at all over
        every record (``everything``) the counts are the kept totals. Otherwise the matching
        rowids come from SQL and their facet keys from the memo, brought up to date with
        this snapshot first (a join and GROUP BY in SQL takes seconds for a common word).
        """
        groups: dict[tuple[tuple[str, tuple[str, ...]], ...], list[str]] = {}
        for facet in query.facets:
            key = tuple(sorted(query.other_filters(facet).items()))
            groups.setdefault(key, []).append(facet)
        memo = self._memos[table.facets]
        fresh = False
        found: dict[str, list[FacetBucket]] = {}
        for key, names in groups.items():
            if everything and not key:
                by_facet: dict[str, list[tuple[str, str, int]]] = {
                    name: [tuple(r) for r in conn.execute(
                        f"SELECT value, label, n FROM {table.counts} "
                        "WHERE facet = ? ORDER BY n DESC, value ASC LIMIT ?",
                        (name, query.facet_size),
                    ).fetchall()]
                    for name in names
                }
            else:
                if not fresh:
                    memo.refresh(conn, file)
                    fresh = True
                other, other_params = _facet_filters(table, dict(key))
                rowids = conn.execute(
                    f"SELECT h.rowid FROM {source} h WHERE 1 = 1{other}",
                    [*source_params, *other_params],
                )
                by_facet = memo.count(chain.from_iterable(rowids), names, query.facet_size)
            for name, values in by_facet.items():
                found[name] = [FacetBucket(value=v, label=lbl, count=n) for v, lbl, n in values]
        return {name: found[name] for name in query.facets}

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

    def candidate_events(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        return self._candidates(EVENTS, terms, limit)

    def _candidates(self, table: _Table, terms: Sequence[str], limit: int) -> list[Candidate]:
        words = [w for t in terms for w in _words_of(t)]
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words))
        # Ranked in the full-text index alone: only live records have rows there (retiring
        # or deleting a record drops them in the same transaction), so no match is looked up
        # in the table to be kept or dropped; at 18,000 events, with ~4,500 matches for ten
        # words, that lookup was half the query. Only the top rows' docs are read. Ties at
        # the cut go to the older record.
        rows = self._read(
            "SELECT e.id, json_extract(e.doc, '$.signature'), json_extract(e.doc, '$.first_seen') "
            f"FROM (SELECT rowid AS rid, bm25({table.fts}) AS score FROM {table.fts} "
            f"WHERE {table.fts} MATCH ? ORDER BY score, rowid LIMIT ?) top "
            f"JOIN {table.rows} e ON e.rowid = top.rid ORDER BY top.score, e.id",
            (match, limit),
        )
        return [_candidate(r) for r in rows]

    # Events and stories are the same kind of record: a versioned document that can become a
    # redirect, found by full text and facets. One implementation serves both.

    def get_event(self, event_id: str) -> tuple[Event, str]:
        doc, version = self._get_record(EVENTS, event_id)
        return Event.from_dict(doc), version

    def _get_record(self, table: _Table, record_id: str) -> tuple[dict[str, Any], str]:
        rows = self._read(
            f"SELECT doc, version, redirect_to FROM {table.rows} WHERE id = ?", (record_id,)
        )
        if not rows:
            raise NotFound(f"no {table.kind} with id {record_id}")
        doc, version, redirect = rows[0]
        if redirect is not None:
            raise Moved(record_id, self._final(table, redirect))
        return json.loads(doc), str(version)

    def _final(self, table: _Table, record_id: str) -> str:
        def redirect_of(current: str) -> str | None:
            rows = self._read(f"SELECT redirect_to FROM {table.rows} WHERE id = ?", (current,))
            return rows[0][0] if rows else None

        return final_target(record_id, redirect_of)

    def put_event(self, event: Event, *, version: str | None, text: str) -> str:
        return self._put_record(
            EVENTS, event.id, event.to_dict(), version=version, day=event_day(event),
            first_seen=event.first_seen, title=event.title, text=text,
            terms=event_facet_terms(event), extra={"story_id": event.story_id},
        )

    def _put_record(
        self,
        table: _Table,
        record_id: str,
        record: dict[str, Any],
        *,
        version: str | None,
        day: str | None,
        first_seen: str,
        title: str,
        text: str,
        terms: FacetTerms,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Create (``version`` None) or compare-and-set a record with its search rows."""
        doc = json.dumps(record, ensure_ascii=False)
        published = day_start(day) if day else None
        columns = dict(extra or {})
        with self._tx() as conn:
            if version is None:
                if conn.execute(f"SELECT 1 FROM {table.rows} WHERE id = ?",
                                (record_id,)).fetchone():
                    raise Conflict(f"{table.kind} {record_id} already exists")
                names = "".join(f", {c}" for c in columns)
                marks = "".join(", ?" for _ in columns)
                cur = conn.execute(
                    f"INSERT INTO {table.rows} (id, doc, version, published_utc, indexed_us"
                    f"{names}) VALUES (?, ?, 1, ?, ?{marks})",
                    (record_id, doc, published, iso_to_us(first_seen), *columns.values()),
                )
                rowid, new_version = cur.lastrowid, 1
            else:
                sets = "".join(f", {c} = ?" for c in columns)
                cur = conn.execute(
                    f"UPDATE {table.rows} SET doc = ?, version = version + 1, "
                    f"published_utc = ?{sets} WHERE id = ? AND version = ? "
                    "AND redirect_to IS NULL",
                    (doc, published, *columns.values(), record_id, int(version)),
                )
                if cur.rowcount != 1:
                    raise changed_since(table.kind, record_id, version)
                rowid = conn.execute(
                    f"SELECT rowid FROM {table.rows} WHERE id = ?", (record_id,)
                ).fetchone()[0]
                new_version = int(version) + 1
                conn.execute(f"DELETE FROM {table.fts} WHERE rowid = ?", (rowid,))
                conn.execute(f"DELETE FROM {table.facets} WHERE article_rowid = ?", (rowid,))
            conn.execute(
                f"INSERT INTO {table.fts} (rowid, title, text) VALUES (?, ?, ?)",
                (rowid, title, text),
            )
            conn.executemany(
                f"INSERT OR IGNORE INTO {table.facets} (article_rowid, facet, value, label) "
                "VALUES (?, ?, ?, ?)",
                [(rowid, facet, value, label)
                 for facet, pairs in terms.items() for value, label in pairs],
            )
        return str(new_version)

    def retire_event(self, event_id: str, into: str, *, version: str) -> None:
        self._drop_record(EVENTS, event_id, version, redirect_to=into)

    def delete_event(self, event_id: str, *, version: str) -> None:
        self._drop_record(EVENTS, event_id, version, redirect_to=None)

    def add_redirect(self, event_id: str, into: str) -> None:
        self._add_redirect(EVENTS, event_id, into)

    def _add_redirect(self, table: _Table, record_id: str, into: str) -> None:
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO {table.rows} (id, doc, version, redirect_to, indexed_us) "
                "VALUES (?, NULL, 1, ?, 0) "
                "ON CONFLICT(id) DO UPDATE SET redirect_to = excluded.redirect_to "
                f"WHERE {table.rows}.redirect_to IS NOT NULL",
                (record_id, into),
            )

    def redirects(self) -> dict[str, str]:
        return self._redirects(EVENTS)

    def _redirects(self, table: _Table) -> dict[str, str]:
        rows = self._read(
            f"SELECT id, redirect_to FROM {table.rows} WHERE redirect_to IS NOT NULL"
        )
        return {row[0]: row[1] for row in rows}

    def _drop_record(
        self, table: _Table, record_id: str, version: str, redirect_to: str | None
    ) -> None:
        with self._tx() as conn:
            row = conn.execute(
                f"SELECT rowid FROM {table.rows} WHERE id = ? AND version = ? "
                "AND redirect_to IS NULL",
                (record_id, int(version)),
            ).fetchone()
            if row is None:
                raise changed_since(table.kind, record_id, version)
            conn.execute(f"DELETE FROM {table.fts} WHERE rowid = ?", (row[0],))
            conn.execute(f"DELETE FROM {table.facets} WHERE article_rowid = ?", (row[0],))
            if redirect_to is None:
                conn.execute(f"DELETE FROM {table.rows} WHERE rowid = ?", (row[0],))
            else:
                conn.execute(
                    f"UPDATE {table.rows} SET doc = NULL, redirect_to = ?, "
                    "version = version + 1 WHERE rowid = ?",
                    (redirect_to, row[0]),
                )

    # -- stories ----------------------------------------------------------------------------

    def get_story(self, story_id: str) -> tuple[Story, str]:
        doc, version = self._get_record(STORIES, story_id)
        return Story.from_dict(doc), version

    def put_story(self, story: Story, *, version: str | None, text: str) -> str:
        return self._put_record(
            STORIES, story.id, story.to_dict(), version=version, day=story_day(story),
            first_seen=story.first_seen, title=story.title, text=text,
            terms=story_facet_terms(story),
        )

    def retire_story(self, story_id: str, into: str, *, version: str) -> None:
        self._drop_record(STORIES, story_id, version, redirect_to=into)

    def delete_story(self, story_id: str, *, version: str) -> None:
        self._drop_record(STORIES, story_id, version, redirect_to=None)

    def candidate_stories(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        return self._candidates(STORIES, terms, limit)

    def events_of_story(self, story_id: str) -> list[Event]:
        rows = self._read(
            "SELECT doc FROM events WHERE story_id = ? AND redirect_to IS NULL "
            "ORDER BY indexed_us, id",
            (story_id,),
        )
        return [Event.from_dict(json.loads(r[0])) for r in rows]

    def search_stories(self, query: SearchQuery) -> SearchPage:
        return self._search(STORIES, query, Story.from_dict)

    def iter_stories(self) -> Iterator[tuple[Story, str]]:
        for doc, version in self._iter_records(STORIES):
            yield Story.from_dict(doc), version

    def story_redirects(self) -> dict[str, str]:
        return self._redirects(STORIES)

    def set_article_event(self, article_id: str, event_id: str | None, *, version: str) -> str:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE articles SET event_id = ?, doc = json_set(doc, '$.event_id', ?), "
                "version = version + 1 WHERE id = ? AND version = ?",
                (event_id, event_id, article_id, int(version)),
            )
            if cur.rowcount != 1:
                if conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone():
                    raise changed_since("article", article_id, version)
                raise NotFound(f"no article with id {article_id}")
        return str(int(version) + 1)

    def events_founded_since(self, since_us: int) -> list[Candidate]:
        rows = self._read(
            "SELECT id, json_extract(doc, '$.signature'), json_extract(doc, '$.first_seen') "
            "FROM events WHERE redirect_to IS NULL AND indexed_us >= ? ORDER BY indexed_us, id",
            (since_us,),
        )
        return [_candidate(r) for r in rows]

    def iter_events(self) -> Iterator[tuple[Event, str]]:
        for doc, version in self._iter_records(EVENTS):
            yield Event.from_dict(doc), version

    def _iter_records(self, table: _Table) -> Iterator[tuple[dict[str, Any], str]]:
        last = 0
        while True:
            rows = self._read(
                f"SELECT rowid, doc, version FROM {table.rows} WHERE rowid > ? "
                "AND redirect_to IS NULL ORDER BY rowid LIMIT 500",
                (last,),
            )
            if not rows:
                return
            for row in rows:
                yield json.loads(row[1]), str(row[2])
            last = rows[-1][0]

    def delete_redirect(self, event_id: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM events WHERE id = ? AND redirect_to IS NOT NULL", (event_id,))

    # -- checks -----------------------------------------------------------------------------

    def search_document_problems(self) -> Iterator[tuple[str, str, str]]:
        """Full-text rows and facet rows against each record; the event_id column against the
        record's own field."""
        for table in (ARTICLES, EVENTS):
            last = 0
            while True:
                rows = self._read(
                    f"SELECT a.rowid, a.id, a.doc, f.title, f.text, "
                    f"{'a.event_id' if table is ARTICLES else 'NULL'} "
                    f"FROM {table.rows} a LEFT JOIN {table.fts} f ON f.rowid = a.rowid "
                    f"WHERE a.rowid > ? AND a.doc IS NOT NULL ORDER BY a.rowid LIMIT 500",
                    (last,),
                )
                if not rows:
                    break
                for rowid, record_id, doc, title, text, column_event in rows:
                    problem = self._document_problem(table, rowid, json.loads(doc), title, text,
                                                     column_event)
                    if problem:
                        yield table.rows, record_id, problem
                last = rows[-1][0]

    def _document_problem(
        self, table: _Table, rowid: int, doc: dict[str, Any], title: str | None,
        text: str | None, column_event: str | None,
    ) -> str | None:
        if title is None:
            return "missing from the full-text index"
        record: Article | Event
        if table is ARTICLES:
            record = Article.from_dict(doc)
            if (title, text) != (record.title or "", record.text):
                return "full-text row differs from the record"
            if column_event != record.event_id:
                return "event_id column differs from the record"
            expected = facet_terms(record)
        else:
            record = Event.from_dict(doc)
            if title != record.title:
                return "full-text row differs from the record"
            expected = event_facet_terms(record)
        indexed = {
            (r[0], r[1], r[2])
            for r in self._read(
                f"SELECT facet, value, label FROM {table.facets} WHERE article_rowid = ?", (rowid,)
            )
        }
        wanted = {(f, v, label) for f, pairs in expected.items() for v, label in pairs}
        return None if indexed == wanted else "facet rows differ from the record"

    def repair_search_document(self, collection: str, record_id: str) -> None:
        if collection == "articles":
            article = self.get_article(record_id)
            with self._tx() as conn:
                rowid = conn.execute(
                    "SELECT rowid FROM articles WHERE id = ?", (record_id,)
                ).fetchone()[0]
                conn.execute("UPDATE articles SET event_id = ? WHERE rowid = ?",
                             (article.event_id, rowid))
                self._index_article(conn, rowid, article)
            return
        event, version = self.get_event(record_id)
        members = self.get_articles(event.articles)
        self.put_event(event, version=version, text=event_text(members))

    def _index_article(self, conn: sqlite3.Connection, rowid: int, article: Article) -> None:
        """(Re)write an article's full-text and facet rows."""
        conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
        conn.execute("DELETE FROM facets WHERE article_rowid = ?", (rowid,))
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

    def articles_of_event(self, event_id: str) -> list[Article]:
        rows = self._read(
            "SELECT doc FROM articles WHERE event_id = ? ORDER BY indexed_us, id", (event_id,)
        )
        return [Article.from_dict(json.loads(r[0])) for r in rows]

    def search_events(self, query: SearchQuery) -> SearchPage:
        return self._search(EVENTS, query, Event.from_dict)

    # -- rebuilds -------------------------------------------------------------------------

    @contextmanager
    def rebuild_lock(self) -> Iterator[None]:
        """An exclusive file lock, taken without waiting; the kernel frees it if we die."""
        with open(self._rebuild_lock_path, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise StoreUnavailable(
                    "another rebuild of this store is running; try again when it has finished"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def begin_rebuild(self) -> EmbeddedStore:
        self._follow()
        stamp = now_iso().replace(":", "").replace("-", "").replace(".", "")
        rebuilt = EmbeddedStore(
            self.path.with_name(f"{self.path.stem}.{stamp}.sqlite3"), follow=False
        )
        rebuilt._base = self.file.name
        return rebuilt

    def activate(self, rebuilt: Store) -> EmbeddedStore:
        if not isinstance(rebuilt, EmbeddedStore) or rebuilt.path.parent != self.path.parent:
            raise ValueError("can only activate a rebuild begun from this store")
        with rebuilt._lock:
            rebuilt._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(self._pointer.with_name(self._pointer.name + ".lock"), "a+b") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)  # compare and swap the pointer as one step
            self._follow()
            retired = self.file
            if rebuilt._base is not None and retired.name != rebuilt._base:
                raise Conflict(
                    f"the live generation changed during the rebuild ({rebuilt._base} -> "
                    f"{retired.name}); not switching"
                )
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

    def keys(self) -> EmbeddedKeyRing:
        """Keys live in ``keys.sqlite3`` beside the generations, so a reindex never moves them."""
        return EmbeddedKeyRing(self.path.parent / "keys.sqlite3")

    def jobs(self) -> EmbeddedJobStore:
        """Bulk jobs live in ``jobs.sqlite3`` beside the keys, out of every generation."""
        return EmbeddedJobStore(self.path.parent / "jobs.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            for reader in self._readers:
                reader.close()
            self._readers.clear()


def _candidate(row: Any) -> Candidate:
    return Candidate(id=row[0], signature=_signature(row[1]) if row[1] else None,
                     first_seen=row[2])


@functools.lru_cache(maxsize=4096)
def _signature(raw: str) -> dict[str, Any]:
    """A stored signature's JSON, decoded once while it is asked for again and again: an
    event is a candidate of every article of its happening, and returning the same dict
    lets :func:`indexer.events.similarity.decoded` keep its decoded Signature too. Never
    changed in place (records are frozen; a changed signature is new JSON)."""
    found: dict[str, Any] = json.loads(raw)
    return found


def _unavailable(exc: sqlite3.Error, doing: str) -> StoreUnavailable:
    """SQLite's failure as the indexer's: a full disk is told apart (nothing was stored)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return StoreFull(f"embedded store could not {doing}: {exc}")
    return StoreUnavailable(f"embedded store could not {doing}: {exc}")


def _fill_counts(conn: sqlite3.Connection) -> None:
    """A file made before the kept counts existed gets them once (triggers keep them since).

    Looked at and filled in one write transaction: another handle, already open, may store
    an article (its facet rows and their counts together) at any moment; between two
    separate reads this one saw no counts, then facet rows, and counted them again.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        for facets, counts in (("facets", "facet_counts"),
                               ("event_facets", "event_facet_counts"),
                               ("story_facets", "story_facet_counts")):
            if conn.execute(f"SELECT 1 FROM {counts} LIMIT 1").fetchone() is None and (
                conn.execute(f"SELECT 1 FROM {facets} LIMIT 1").fetchone() is not None
            ):
                conn.execute(
                    f"INSERT INTO {counts} (facet, value, label, n) "
                    f"SELECT facet, value, MIN(label), count(*) FROM {facets} "
                    "GROUP BY facet, value"
                )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a file made by an older version up to this schema (columns added since)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    if columns and "version" not in columns:
        conn.execute("ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
    columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if columns and "story_id" not in columns:
        conn.execute("ALTER TABLE events ADD COLUMN story_id TEXT")


def _fts_expression(query: SearchQuery) -> str | None:
    """FTS5 MATCH text built only from quoted tokens, so user input is never FTS syntax."""
    terms = query.terms()
    if not terms:
        return None
    return " ".join('"' + t.text.replace('"', "") + '"' for t in terms)


def _base(
    table: _Table, query: SearchQuery, match: str | None, snapshot: int, *, ranked: bool = True
) -> tuple[str, list[Any]]:
    """SQL selecting (rowid, score) of rows matching text, dates and scope (no facet filters).

    Only a relevance sort needs the score; computing bm25 for every match costs three times
    as much as finding them.
    """
    params: list[Any] = []
    if match is not None:
        score = f"bm25({table.fts})" if ranked else "0.0"
        sql = (
            f"SELECT a.rowid AS rowid, {score} AS score FROM {table.fts} "
            f"JOIN {table.rows} a INDEXED BY {table.narrow} ON a.rowid = {table.fts}.rowid "
            f"WHERE {table.fts} MATCH ?"
        )
        params.append(match)
    else:
        sql = f"SELECT a.rowid AS rowid, 0.0 AS score FROM {table.rows} a WHERE 1 = 1"
    sql += f" AND {table.live} AND a.indexed_us <= ?"
    params.append(snapshot)
    if query.event_id is not None and table is ARTICLES:
        sql += " AND a.event_id = ?"
        params.append(query.event_id)
    if query.duplicates == "exclude" and table is ARTICLES:
        sql += (" AND a.rowid NOT IN (SELECT rowid FROM articles"
                " WHERE json_extract(doc, '$.duplicate_of') IS NOT NULL)")  # articles_copies
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

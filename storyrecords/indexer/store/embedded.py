"""Embedded backend: one SQLite file with FTS5, for a laptop, a demo or a test.

It implements the whole Store interface (no quiet gaps): the same contract suite runs
against it and against Elasticsearch.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storyrecords.indexer.errors import Conflict, NotFound, StoreUnavailable
from storyrecords.indexer.facets import facet_terms
from storyrecords.indexer.models import Article
from storyrecords.indexer.store.base import PutResult, Store
from storyrecords.indexer.store.query import (
    FACETS,
    Cursor,
    FacetBucket,
    SearchPage,
    SearchQuery,
    check_cursor,
    encode_cursor,
)
from storyrecords.indexer.timefmt import day_after, day_start, iso_to_us, utc_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_utc TEXT,
    indexed_us INTEGER NOT NULL
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

# Sort expressions: (SQL expression, direction, comparison for "after the cursor").
_SORTS: dict[str, tuple[str, str, str]] = {
    "relevance": ("score", "ASC", ">"),  # bm25(): lower is better
    "newest": ("COALESCE(a.published_utc, '')", "DESC", "<"),
    "oldest": ("COALESCE(a.published_utc, '9999')", "ASC", ">"),
}


class EmbeddedStore(Store):
    """SQLite in WAL mode; one connection guarded by a lock, so threads can share the store."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open the embedded store at {self.path}: {exc}") from exc
        self._lock = threading.RLock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database lock up front (no lost updates)."""
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

    def _read(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cur = self._conn.execute(sql, params)
                return list(cur.fetchall())
            except sqlite3.OperationalError as exc:
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
                raise Conflict(
                    f"article {article.id} already exists with different content; "
                    "delete it first or post without an id"
                )
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
        check_cursor(query)
        snapshot = query.snapshot_us()
        sort = query.effective_sort
        match = _fts_expression(query)
        if sort == "relevance" and match is None:
            sort = "newest"
        base_sql, base_params = _matching(query, match, snapshot, skip_facet=None)

        total = int(self._read(f"SELECT count(*) FROM ({base_sql})", base_params)[0][0])

        expr, direction, after_op = _SORTS[sort]
        page_sql = (
            f"SELECT a.id, a.doc, {expr} AS sortkey FROM ({base_sql}) m "
            "JOIN articles a ON a.rowid = m.rowid"
        )
        params = list(base_params)
        if query.cursor is not None:
            key, last_id = query.cursor.after
            page_sql += f" WHERE ({expr} {after_op} ? OR ({expr} = ? AND a.id > ?))"
            params += [key, key, last_id]
        page_sql += f" ORDER BY sortkey {direction}, a.id ASC LIMIT ?"
        params.append(query.size + 1)
        rows = self._read(page_sql, params)

        hits = [Article.from_dict(json.loads(r[1])) for r in rows[: query.size]]
        next_cursor = None
        if len(rows) > query.size:
            last = rows[query.size - 1]
            next_cursor = encode_cursor(
                Cursor(sort, (last[2], last[0]), snapshot, query.fingerprint())
            )
        return SearchPage(
            hits=hits,
            total=total,
            facets={f: self._facet(query, f, match, snapshot) for f in FACETS},
            next_cursor=next_cursor,
        )

    def _facet(
        self, query: SearchQuery, facet: str, match: str | None, snapshot: int
    ) -> list[FacetBucket]:
        sql, params = _matching(query, match, snapshot, skip_facet=facet)
        rows = self._read(
            "SELECT value, MIN(label), count(*) AS n FROM facets "
            f"WHERE facet = ? AND article_rowid IN (SELECT rowid FROM ({sql})) "
            "GROUP BY value ORDER BY n DESC, value ASC LIMIT ?",
            [facet, *params, query.facet_size],
        )
        return [FacetBucket(value=r[0], label=r[1], count=r[2]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _fts_expression(query: SearchQuery) -> str | None:
    """FTS5 MATCH text built only from quoted tokens, so user input is never FTS syntax."""
    terms = query.terms()
    if not terms:
        return None
    return " ".join('"' + t.text.replace('"', "") + '"' for t in terms)


def _matching(
    query: SearchQuery, match: str | None, snapshot: int, skip_facet: str | None
) -> tuple[str, list[Any]]:
    """SQL selecting (rowid, score) of matching articles; ``skip_facet``'s filter is left out."""
    params: list[Any] = []
    if match is not None:
        sql = (
            "SELECT a.rowid AS rowid, bm25(articles_fts) AS score FROM articles_fts "
            "JOIN articles a ON a.rowid = articles_fts.rowid WHERE articles_fts MATCH ?"
        )
        params.append(match)
    else:
        sql = "SELECT a.rowid AS rowid, 0.0 AS score FROM articles a WHERE 1 = 1"
    sql += " AND a.indexed_us <= ?"
    params.append(snapshot)
    if query.date_from:
        sql += " AND a.published_utc >= ?"
        params.append(day_start(query.date_from))
    if query.date_to:
        sql += " AND a.published_utc < ?"
        params.append(day_after(query.date_to))
    filters = query.other_filters(skip_facet) if skip_facet else query.filters
    for facet, values in sorted(filters.items()):
        if not values:
            continue
        marks = ", ".join("?" for _ in values)
        sql += (
            " AND a.rowid IN (SELECT article_rowid FROM facets "
            f"WHERE facet = ? AND value IN ({marks}))"
        )
        params += [facet, *values]
    return sql, params

"""The embedded store's in-memory facet counts never go stale.

Each store instance counts text-search facets from its own memo of every record's facet
rows; another instance on the same file stands in for another process (a gunicorn worker, the
CLI). Every count is checked against the SQL GROUP BY the memo replaced, run on the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.events.merge import merge_event
from indexer.facets import event_text
from indexer.store import facet_memo
from indexer.store.embedded import EmbeddedStore
from indexer.store.query import EVENT_FACETS, FACETS, SearchQuery
from indexer.timefmt import now_iso
from tests.store.contract import corpus, make_article

Counts = dict[str, list[tuple[str, str, int]]]


def memo_counts(store: EmbeddedStore, q: str, **kwargs: object) -> Counts:
    page = store.search_articles(SearchQuery(q=q, size=100, facet_size=100, **kwargs))  # type: ignore[arg-type]
    return {f: [(b.value, b.label, b.count) for b in page.facets[f]] for f in FACETS}


def sql_counts(file: Path, q: str, table: str = "articles", facets: str = "facets") -> Counts:
    """What the memo replaced: the text matches joined to their facet rows and grouped."""
    conn = sqlite3.connect(file)
    try:
        rows = conn.execute(
            f"SELECT f.facet, f.value, MIN(f.label), count(*) FROM {table}_fts "
            f"JOIN {facets} f ON f.article_rowid = {table}_fts.rowid "
            f"WHERE {table}_fts MATCH ? GROUP BY f.facet, f.value",
            (f'"{q}"',),
        ).fetchall()
    finally:
        conn.close()
    names = FACETS if facets == "facets" else EVENT_FACETS
    out: Counts = {name: [] for name in names}
    for facet, value, label, n in rows:
        out[facet].append((value, label, n))
    for values in out.values():
        values.sort(key=lambda v: (-v[2], v[0]))
    return out


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "data" / "store.sqlite3"


def test_counts_follow_another_instances_writes(home: Path) -> None:
    reader, writer = EmbeddedStore(home), EmbeddedStore(home)
    writer.put_articles(corpus())
    first = memo_counts(reader, "russia")
    assert first == sql_counts(reader.file, "russia")
    assert ("rus", "Russia", 3) in first["party"]  # a1, a3 and a4

    # Added: a new article with a new party value.
    writer.put_article(make_article("a7", "Russia and OSCE", "Russia spoke to the OSCE.",
                                    source="AP", parties=["rus", "osce"]))
    added = memo_counts(reader, "russia")
    assert added == sql_counts(reader.file, "russia")
    assert ("rus", "Russia", 4) in added["party"]

    # Updated: an article's facet rows rewritten in place (as a repair or older writer does).
    with writer._tx() as conn:
        rowid = conn.execute("SELECT rowid FROM articles WHERE id = 'a1'").fetchone()[0]
        conn.execute("DELETE FROM facets WHERE article_rowid = ? AND facet = 'party' "
                     "AND value = 'usa'", (rowid,))
        conn.execute("INSERT INTO facets (article_rowid, facet, value, label) "
                     "VALUES (?, 'party', 'ukr', 'Ukraine (renamed)')", (rowid,))
    updated = memo_counts(reader, "russia")
    assert updated == sql_counts(reader.file, "russia")
    assert ("ukr", "Ukraine", 2) in updated["party"]  # MIN(label) of the matches
    assert all(v != "usa" for v, _, _ in updated["party"])

    # Deleted: every facet row of the article leaves the counts.
    writer.delete_article("a3")
    deleted = memo_counts(reader, "russia")
    assert deleted == sql_counts(reader.file, "russia")
    assert ("vienna", "Vienna", 1) not in deleted["venue"]
    assert ("rus", "Russia", 3) in deleted["party"]

    # Filtered facets are counted over the filtered matches from the same memo.
    filtered = reader.search_articles(SearchQuery(q="russia", filters={"source": ("AP",)}))
    assert [(b.value, b.count) for b in filtered.facets["source"]] == [("AP", 2), ("Reuters", 1)]
    assert [(b.value, b.count) for b in filtered.facets["venue"]] == [("geneva", 1)]
    assert filtered.total == 2

    fresh = EmbeddedStore(home)  # a process that starts now builds the same memo
    assert memo_counts(fresh, "russia") == deleted
    for store in (reader, writer, fresh):
        store.close()


def test_counts_follow_a_rebuild_that_switches_files(home: Path) -> None:
    reader, writer = EmbeddedStore(home), EmbeddedStore(home)
    writer.put_articles(corpus())
    before = memo_counts(reader, "russia")
    assert ("rus", "Russia", 3) in before["party"]

    rebuilt = writer.begin_rebuild()
    rebuilt.put_articles(corpus()[:2])  # a reindex that keeps only two articles
    writer.activate(rebuilt).close()
    after = memo_counts(reader, "russia")  # the reader follows the pointer to the new file
    assert reader.file == rebuilt.path
    assert after == sql_counts(rebuilt.path, "russia")
    assert ("rus", "Russia", 1) in after["party"]

    writer.put_article(replace(corpus()[3]))  # written into the new generation
    assert memo_counts(reader, "russia") == sql_counts(rebuilt.path, "russia")
    assert ("rus", "Russia", 2) in memo_counts(reader, "russia")["party"]
    for store in (reader, writer, rebuilt):
        store.close()


def test_a_pruned_change_log_rebuilds_the_memo(home: Path) -> None:
    reader, writer = EmbeddedStore(home), EmbeddedStore(home)
    writer.put_articles(corpus()[:3])
    memo_counts(reader, "russia")
    writer.put_articles(corpus()[3:])
    # Writers append enough changes that the ones the reader has not seen are pruned.
    with writer._tx() as conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO facet_changes (collection, record_rowid) SELECT 'facets', 0 FROM n",
            (facet_memo.KEEP_CHANGES + facet_memo.PRUNE_EVERY,),
        )
        oldest, kept = conn.execute("SELECT min(seq), count(*) FROM facet_changes").fetchone()
    assert kept <= facet_memo.KEEP_CHANGES + facet_memo.PRUNE_EVERY
    assert oldest > 100  # the reader's changes are gone
    assert memo_counts(reader, "russia") == sql_counts(reader.file, "russia")
    assert ("rus", "Russia", 3) in memo_counts(reader, "russia")["party"]
    reader.close()
    writer.close()


def test_a_file_made_before_the_change_log_gets_it(home: Path) -> None:
    store = EmbeddedStore(home)
    store.put_articles(corpus())
    store.close()
    conn = sqlite3.connect(home)  # as an older version left it
    conn.executescript(
        "DROP TABLE facet_changes; DROP TRIGGER IF EXISTS facets_logged_in; "
        "DROP TRIGGER IF EXISTS facets_logged_out; DROP TRIGGER IF EXISTS facets_logged_up;"
    )
    conn.close()
    reader, writer = EmbeddedStore(home), EmbeddedStore(home)
    assert memo_counts(reader, "russia") == sql_counts(home, "russia")
    writer.delete_article("a1")
    assert memo_counts(reader, "russia") == sql_counts(home, "russia")
    reader.close()
    writer.close()


def test_event_counts_follow_another_instances_writes(home: Path) -> None:
    reader, writer = EmbeddedStore(home), EmbeddedStore(home)
    articles = [replace(a, event_id="e1") for a in corpus()[:2]]
    writer.put_articles(articles)
    now = now_iso()
    event = merge_event("e1", articles, first_seen=now, last_updated=now)
    version = writer.put_event(event, version=None, text=event_text(articles))

    def event_counts() -> Counts:
        page = reader.search_events(SearchQuery(q="nato", size=10, facets=EVENT_FACETS))
        return {f: [(b.value, b.label, b.count) for b in page.facets[f]] for f in EVENT_FACETS}

    assert event_counts() == sql_counts(home, "nato", "events", "event_facets")
    more = [*articles, replace(corpus()[3], event_id="e1")]
    grown = merge_event("e1", more, first_seen=now, last_updated=now)
    version = writer.put_event(grown, version=version, text=event_text(more))
    assert event_counts() == sql_counts(home, "nato", "events", "event_facets")
    assert any(v == "ukr" for v, _, _ in event_counts()["party"])
    writer.delete_event("e1", version=version)
    assert all(not values for values in event_counts().values())
    reader.close()
    writer.close()


def test_warming_builds_the_memo_before_any_search_and_it_still_follows_writes(
    home: Path,
) -> None:
    reader, writer = EmbeddedStore(home), EmbeddedStore(home)
    writer.put_articles(corpus())
    reader.warm()  # what each API worker does in the background as it starts
    assert all(memo._file == reader.file for memo in reader._memos.values())
    writer.put_article(make_article("a7", "Russia and OSCE", "Russia spoke to the OSCE.",
                                    source="AP", parties=["rus", "osce"]))
    counts = memo_counts(reader, "russia")
    assert counts == sql_counts(reader.file, "russia")
    assert ("rus", "Russia", 4) in counts["party"]

"""The Store contract on the embedded SQLite backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.store.base import Store
from indexer.store.embedded import EmbeddedStore
from tests.store.batch_contract import BatchContract
from tests.store.consistency_contract import ConsistencyContract
from tests.store.contract import StoreContract, StoreFactory
from tests.store.events_contract import EventStoreContract
from tests.store.jobs_contract import JobStoreContract
from tests.store.keys_contract import KeyStoreContract
from tests.store.rebuild_contract import RebuildContract
from tests.store.stories_contract import StoryStoreContract


class TestEmbeddedStore(
    StoreContract, EventStoreContract, RebuildContract, KeyStoreContract, ConsistencyContract,
    JobStoreContract, StoryStoreContract, BatchContract,
):
    def corrupt_search_document(self, store: Store, article_id: str) -> None:
        """Lose an article's facet rows, as a half-applied write would."""
        assert isinstance(store, EmbeddedStore)
        with store._tx() as conn:
            conn.execute(
                "DELETE FROM facets WHERE article_rowid = "
                "(SELECT rowid FROM articles WHERE id = ?)",
                (article_id,),
            )

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        def open_store() -> Store:
            return EmbeddedStore(tmp_path / "data" / "store.sqlite3")

        return open_store

    @pytest.fixture
    def unreachable_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        # A regular file where the data directory should be: nothing can be created under it.
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("")

        def open_store() -> Store:
            return EmbeddedStore(blocker / "store.sqlite3")

        yield open_store


def test_counts_are_filled_in_one_transaction_with_what_they_count(tmp_path: Path) -> None:
    """Opening a store looks at the kept facet counts and fills them for an old file; a
    handle already open that stores an article in between (its facet rows and counts in one
    commit) must not make the opener count those rows a second time (the CI dry run's
    ``UNIQUE constraint failed: facet_counts``)."""
    import sqlite3
    from typing import Any

    from indexer.store import embedded

    file = tmp_path / "store.sqlite3"
    EmbeddedStore(file).close()  # a fresh file: schema, triggers, no articles
    other = sqlite3.connect(file, timeout=0.05, isolation_level=None)
    refused: list[str] = []

    class Opener:
        """The opener's connection; right after it reads the counts, the other writes."""

        def __init__(self) -> None:
            self.conn = sqlite3.connect(file, isolation_level=None)

        def execute(self, sql: str, *args: Any) -> Any:
            found = self.conn.execute(sql, *args)
            if sql.startswith("SELECT 1 FROM facet_counts"):
                found = iter(found.fetchall())  # the read is done; now another handle writes
                try:
                    other.execute("INSERT INTO facets (article_rowid, facet, value, label) "
                                  "VALUES (1, 'party', 'country:CH', 'Switzerland')")
                except sqlite3.OperationalError as exc:
                    refused.append(str(exc))
                return _Rows(found)
            return found

    class _Rows:
        def __init__(self, rows: Iterator[Any]) -> None:
            self.rows = rows

        def fetchone(self) -> Any:
            return next(self.rows, None)

    opener = Opener()
    embedded._fill_counts(opener)  # type: ignore[arg-type]
    assert refused and "locked" in refused[0], "the other writer waits for the opener's commit"
    other.execute("INSERT INTO facets (article_rowid, facet, value, label) "
                  "VALUES (1, 'party', 'country:CH', 'Switzerland')")
    assert other.execute("SELECT facet, value, n FROM facet_counts").fetchall() == [
        ("party", "country:CH", 1)], "counted once, by its trigger"
    opener.conn.close()
    other.close()

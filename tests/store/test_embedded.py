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

"""The API-key half of the Store contract: keys kept as digests, shared, and outliving reindexes."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from indexer.errors import Conflict, NotFound, StoreUnavailable
from indexer.keys import PREFIX, digest
from indexer.store.base import Store

StoreFactory = Callable[[], Store]


class KeyStoreContract:
    """What ``storyrecords keys`` and the API's authentication rely on, on every backend."""

    def test_a_created_key_authenticates_with_its_scopes(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        key = store.keys().create("ci-writer", ["write"])
        assert key.startswith(PREFIX) and len(key) > 50
        record = store.keys().authenticate(key)
        assert record is not None and record.name == "ci-writer"
        assert record.allows("write") and record.allows("read"), "write implies read"
        reader = store.keys().authenticate(store.keys().create("dashboard", ["read"]))
        assert reader is not None and reader.allows("read") and not reader.allows("write")
        store.close()

    def test_only_a_digest_is_kept(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        key = store.keys().create("secretive", ["write"])
        (record,) = store.keys().all()
        assert record.digest == digest(key)
        assert key not in repr(record), "the key itself must never be stored"
        store.close()

    def test_wrong_unknown_and_malformed_keys_do_not_authenticate(
        self, store_factory: StoreFactory
    ) -> None:
        store = store_factory()
        key = store.keys().create("real", ["write"])
        same_id_other_secret = key[:-5] + ("AAAAA" if not key.endswith("AAAAA") else "BBBBB")
        for presented in (same_id_other_secret, PREFIX + "0" * 12 + "_" + "x" * 43, "", "hunter2",
                          key + "x"):
            assert store.keys().authenticate(presented) is None, presented
        store.close()

    def test_names_are_unique(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        store.keys().create("quickstart", ["write"])
        with pytest.raises(Conflict):
            store.keys().create("quickstart", ["read"])
        assert [r.name for r in store.keys().all()] == ["quickstart"]
        store.close()

    def test_revoked_keys_stop_working_for_every_process(
        self, store_factory: StoreFactory
    ) -> None:
        cli, worker = store_factory(), store_factory()
        key = cli.keys().create("leaked", ["write"])
        kept = cli.keys().create("kept", ["read"])
        assert worker.keys().authenticate(key) is not None, "another process sees it at once"
        cli.keys().revoke("leaked")
        assert worker.keys().authenticate(key) is None
        assert worker.keys().authenticate(kept) is not None
        assert [r.name for r in worker.keys().all()] == ["kept"]
        with pytest.raises(NotFound):
            cli.keys().revoke("leaked")
        cli.close()
        worker.close()

    def test_list_shows_creation_and_last_use(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        key = store.keys().create("b-key", ["read"])
        store.keys().create("a-key", ["write"])
        listed = store.keys().all()
        assert [r.name for r in listed] == ["a-key", "b-key"]
        assert all(r.created_at and r.last_used_at is None for r in listed)
        record = store.keys().authenticate(key)
        assert record is not None
        store.keys().touch(record.key_id, "2022-01-11T10:00:00.000000Z")
        used = {r.name: r.last_used_at for r in store.keys().all()}
        assert used == {"a-key": None, "b-key": "2022-01-11T10:00:00.000000Z"}
        store.close()

    def test_uses_recorded_at_once_by_many_requests_all_succeed(
        self, store_factory: StoreFactory
    ) -> None:
        """Every worker records a key's use now and then; several at once is normal under
        load. On Elasticsearch the loser of such a race got a version conflict that failed
        the caller's request with a 500 (seen in the many-writers fault test)."""
        store = store_factory()
        key = store.keys().create("busy", ["write"])
        record = store.keys().authenticate(key)
        assert record is not None
        written = [f"2022-01-11T10:{minute:02d}:00.000000Z" for minute in range(5)]
        failures: list[BaseException] = []

        def use() -> None:
            for when in written:
                try:
                    store.keys().touch(record.key_id, when)
                except BaseException as exc:  # any failure is the finding
                    failures.append(exc)

        threads = [threading.Thread(target=use) for _ in range(48)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        (listed,) = store.keys().all()
        assert listed.last_used_at in written
        store.close()

    def test_keys_outlive_a_reindex(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        key = store.keys().create("survivor", ["write"])
        retired = store.activate(store.begin_rebuild())
        retired.drop()
        fresh = store_factory()
        for handle in (store, fresh):
            assert handle.keys().authenticate(key) is not None
            assert [r.name for r in handle.keys().all()] == ["survivor"]
        store.close()
        fresh.close()

    def test_unreachable_key_store_raises_store_unavailable(
        self, unreachable_store: StoreFactory
    ) -> None:
        operations: list[Callable[[Store], object]] = [
            lambda s: s.keys().create("k", ["read"]),
            lambda s: s.keys().authenticate(PREFIX + "0" * 12 + "_" + "x" * 43),
            lambda s: s.keys().all(),
            lambda s: s.keys().revoke("k"),
        ]
        for operation in operations:
            with pytest.raises(StoreUnavailable):
                handle = unreachable_store()
                try:
                    operation(handle)
                finally:
                    handle.close()

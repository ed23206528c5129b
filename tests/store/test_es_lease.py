"""The Elasticsearch lease lock on a real server: a dead holder is broken, a live one is not.

Short leases keep these quick; the margins (a lease of 1.5 s renewed every 0.5 s, against a
waiter that gives up after 3 s) are wide enough that a loaded machine cannot flip them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from indexer.errors import StoreUnavailable
from indexer.store.elasticsearch import ElasticsearchStore
from indexer.store.es_lock import LeaseLock
from tests.store.test_elasticsearch import es_client, es_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def store(es_url: str, es_client: Elasticsearch) -> Iterator[ElasticsearchStore]:  # noqa: F811
    prefix = f"storyrecords-test-{uuid.uuid4().hex[:12]}"
    opened = ElasticsearchStore(es_url, index=prefix)
    opened.ping()
    yield opened
    opened.close()
    names = list(es_client.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
    if names:
        es_client.indices.delete(index=",".join(names))


def _lease(store: ElasticsearchStore, *, lease_s: float, wait_s: float) -> LeaseLock:
    def run(doing: str, call: Any) -> Any:
        return store._run("locks", doing, call)

    return LeaseLock(store._client, store.locks_alias, run, lease_s=lease_s, wait_s=wait_s)


def test_a_lease_whose_holder_died_is_broken_after_one_lease(store: ElasticsearchStore) -> None:
    # A holder that died mid-assignment: its lease document stays, nobody renews it.
    store._run("locks", "plant a dead lease", lambda: store._client.index(
        index=store.locks_alias, id="event-assignment",
        document={"owner": "dead", "renewed": 0}, op_type="create", require_alias=True,
    ))
    lock = _lease(store, lease_s=1.0, wait_s=30.0)
    started = time.monotonic()
    with lock.hold():
        waited = time.monotonic() - started
    assert 1.0 <= waited < 30.0


def test_a_live_holder_keeps_its_lease_however_long_it_works(store: ElasticsearchStore) -> None:
    holder = _lease(store, lease_s=1.5, wait_s=30.0)
    waiter = _lease(store, lease_s=1.5, wait_s=3.0)  # another process, judging by its own clock
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.hold():
            inside.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(30)
        with pytest.raises(StoreUnavailable, match="stays taken"), waiter.hold():
            pass  # pragma: no cover - never entered while the holder renews
    finally:
        release.set()
        thread.join(30)
    with waiter.hold():  # released: the next one gets it at once
        pass

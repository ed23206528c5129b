"""The Store contract on a real Elasticsearch (``STORYRECORDS_TEST_ELASTICSEARCH_URL``).

Each test gets its own index prefix and removes its indices afterwards, so tests never see
each other's articles and a shared server stays clean.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch, TransportError

from indexer.benchmarks.assign import delete_indices
from indexer.store.base import Store
from indexer.store.elasticsearch import ElasticsearchStore
from indexer.store.query import SearchQuery
from tests.conftest import in_ci
from tests.store.batch_contract import BatchContract
from tests.store.consistency_contract import ConsistencyContract
from tests.store.contract import StoreContract, StoreFactory
from tests.store.events_contract import EventStoreContract
from tests.store.jobs_contract import JobStoreContract
from tests.store.keys_contract import KeyStoreContract
from tests.store.rebuild_contract import RebuildContract
from tests.store.stories_contract import StoryStoreContract

URL_VARIABLE = "STORYRECORDS_TEST_ELASTICSEARCH_URL"

pytestmark = pytest.mark.elasticsearch


@pytest.fixture(scope="session")
def es_url() -> str:
    """The server to test against; missing is a skip locally and a failure under CI."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        why = (
            f"{URL_VARIABLE} is not set, so the Elasticsearch contract tests cannot run; "
            "start one with `scripts/elasticsearch.sh start` and export its URL"
        )
        if in_ci():
            pytest.fail(f"CI=true requires the Elasticsearch tests to run: {why}", pytrace=False)
        pytest.skip(why)
    return url


@pytest.fixture(scope="session")
def es_client(es_url: str) -> Iterator[Elasticsearch]:
    """A plain client for checking the server is there and for cleaning up test indices."""
    client = Elasticsearch(es_url, request_timeout=30)
    try:
        client.cluster.health(wait_for_status="yellow", timeout="30s")
    except TransportError as exc:
        pytest.fail(f"{URL_VARIABLE}={es_url} does not answer: {exc}", pytrace=False)
    yield client
    client.close()


class TestElasticsearchStore(
    StoreContract, EventStoreContract, RebuildContract, KeyStoreContract, ConsistencyContract,
    JobStoreContract, StoryStoreContract, BatchContract,
):
    def corrupt_search_document(self, store: Store, article_id: str) -> None:
        """Change an indexed field behind the record's back, as a partial update would."""
        assert isinstance(store, ElasticsearchStore)
        store._client.update(
            index=store.alias, id=article_id, doc={"facets": {"party": []}}, refresh=True
        )

    @pytest.fixture(autouse=True)
    def _needs_server(self, es_client: Elasticsearch) -> None:
        """Every test here skips (or fails under CI) together when there is no server."""

    @pytest.fixture
    def store_factory(self, es_url: str, es_client: Elasticsearch) -> Iterator[StoreFactory]:
        prefix = f"storyrecords-test-{uuid.uuid4().hex[:12]}"

        def open_store() -> Store:
            return ElasticsearchStore(es_url, index=prefix)

        yield open_store
        delete_indices(es_url, prefix)  # by name: wildcard deletes are refused by default

    @pytest.fixture
    def unreachable_store(self) -> StoreFactory:
        def open_store() -> Store:
            # Port 9 (discard) has no server: every request fails to connect.
            return ElasticsearchStore("http://127.0.0.1:9", index="unreachable", timeout=2)

        return open_store


def _external_refreshes(es_client: Elasticsearch, alias: str) -> int:
    stats = es_client.indices.stats(index=alias, metric="refresh")
    return int(stats["_all"]["primaries"]["refresh"]["external_total"])


def test_the_next_assignment_finds_an_event_and_story_founded_a_moment_ago_without_a_refresh(
    es_url: str, es_client: Elasticsearch
) -> None:
    """Foundings are listed in the locks index and read by id: with the scheduled refresh
    off, nothing made the new event or story searchable, yet every report of one happening
    joins the event the first founded, in one story, and no write asked for a refresh."""
    from dataclasses import replace

    from indexer.benchmarks.corpus import synthetic_groups
    from indexer.events.assign import assign_article
    from indexer.store.query import SearchQuery

    prefix = f"storyrecords-test-{uuid.uuid4().hex[:12]}"
    store = ElasticsearchStore(es_url, index=prefix)
    try:
        store.ping()
        store.search_events(SearchQuery(size=1))
        store.search_stories(SearchQuery(size=1))
        aliases = f"{store.events_alias},{prefix}-stories"
        es_client.indices.put_settings(index=aliases, settings={"refresh_interval": "-1"})
        before = _external_refreshes(es_client, aliases)
        group = next(g for g in synthetic_groups(60, 7) if len(g) >= 3)
        assigned = []
        for article in group:
            store.put_article(replace(article, event_id=None))
            assigned.append(assign_article(store, article))
        assert len({e.id for e in assigned}) == 1
        assert len({e.story_id for e in assigned}) == 1
        assert set(assigned[-1].articles) == {a.id for a in group}
        assert _external_refreshes(es_client, aliases) == before
        hits = es_client.search(index=store.events_alias, query={"match_all": {}})
        assert hits["hits"]["total"]["value"] == 0  # still not searchable: found by id alone
    finally:
        store.close()
        delete_indices(es_url, prefix)


def test_a_batch_of_fifty_articles_costs_a_few_requests_where_one_at_a_time_costs_hundreds(
    es_url: str, es_client: Elasticsearch
) -> None:
    """What batching is for: the same 50 articles, counted in requests to the server (not
    timed), one at a time into one index and as one batch into another, both assigned to
    the same events."""
    from indexer.benchmarks.corpus import arrival_order, as_submitted, synthetic_groups
    from indexer.benchmarks.ingest import _http_requests
    from indexer.ingest import Indexer
    from tests.store.batch_contract import _no_nlp, _partition

    items = as_submitted(arrival_order(synthetic_groups(50)))
    counted: dict[str, int] = {}
    partitions = []
    prefixes = [f"storyrecords-test-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    try:
        for way, prefix in zip(("one at a time", "batch"), prefixes, strict=True):
            store = ElasticsearchStore(es_url, index=prefix)
            store.ping()  # the indices exist before counting
            store.search_events(SearchQuery(size=1))
            store.search_stories(SearchQuery(size=1))
            indexer = Indexer(store, _no_nlp, "test-1")
            with _http_requests() as seen:
                if way == "batch":
                    indexer.ingest_batch(items)
                else:
                    for item in items:
                        indexer.ingest(*item)
            counted[way] = sum(len(times) for times in seen.values())
            partitions.append(_partition(store))
            store.close()
    finally:
        for prefix in prefixes:
            delete_indices(es_url, prefix)
    assert partitions[0] == partitions[1]
    assert counted["one at a time"] >= 10 * len(items), counted
    assert counted["batch"] <= len(items), counted


def test_a_document_elasticsearch_refuses_in_a_batch_is_that_lines_error_not_an_outage(
    es_url: str, es_client: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``_bulk`` item refused for what it holds (HTTP 400, a mapping error) fails the same
    way every time: it is that line's error, as one at a time, not "the store is
    unavailable" for the whole batch (a job would wait and send the batch again forever)."""
    import json

    from indexer.benchmarks.corpus import arrival_order, synthetic_groups
    from indexer.bulk import batch_results
    from indexer.ingest import Indexer
    from indexer.models import Extraction
    from indexer.store import es_compile

    articles = arrival_order(synthetic_groups(6))
    refused_id = articles[2].id
    compile_article = es_compile.article_document

    def refusing(article):  # type: ignore[no-untyped-def]
        document = compile_article(article)
        return {**document, "indexed_us": "not a number"} if article.id == refused_id else document

    monkeypatch.setattr(es_compile, "article_document", refusing)
    prefix = f"storyrecords-test-{uuid.uuid4().hex[:12]}"
    store = ElasticsearchStore(es_url, index=prefix)
    try:
        indexer = Indexer(store, lambda item: Extraction(text=item.text), "test-1")
        lines = [(n, json.dumps({"id": a.id, "title": a.title, "text": a.text}).encode())
                 for n, a in enumerate(articles, start=1)]
        results = batch_results(indexer, lines, logged_as=lambda: "test")
        statuses = {r["id"] or articles[r["line"] - 1].id: r["status"] for r in results}
        assert statuses.pop(refused_id) == "error", results
        assert set(statuses.values()) <= {"created", "unchanged"}, results
        assert {a.id for a in store.get_articles(list(statuses))} == set(statuses)
    finally:
        store.close()
        delete_indices(es_url, prefix)


def test_a_batch_written_to_an_index_deleted_behind_its_back_is_an_outage_not_a_lost_race(
    es_url: str, es_client: Elasticsearch
) -> None:
    """An index gone (HTTP 404 ``index_not_found_exception`` for an item) is the store not
    there, as for a single write, never a record that changed since it was read."""
    from indexer.errors import StoreUnavailable
    from indexer.store.base import RecordWrite
    from tests.store.contract import make_article

    prefix = f"storyrecords-test-{uuid.uuid4().hex[:12]}"
    store = ElasticsearchStore(es_url, index=prefix)
    try:
        store.ping()  # the articles index exists, and the store knows it does
        es_client.indices.delete(index=",".join(es_client.indices.get_alias(name=store.alias)))
        article = make_article("a-gone", "Gone", "Written after its index was deleted.")
        with pytest.raises(StoreUnavailable):
            store.write_batch([RecordWrite("articles", "create", "a-gone", record=article)])
        assert store.write_batch(  # the next call makes the index again
            [RecordWrite("articles", "create", "a-gone", record=article)]) == [None]
    finally:
        store.close()
        delete_indices(es_url, prefix)


def test_an_event_a_batch_founded_well_before_its_flush_is_found_by_the_next_assignment(
    es_url: str, es_client: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch founds events in memory and writes them at its flush, seconds later when the
    batch is long. The next assignment (search not refreshed yet) must find such an event in
    the list of recent foundings: it was written a moment ago, however long ago it was
    founded in memory."""
    import time

    from indexer.benchmarks.corpus import as_submitted, synthetic_groups
    from indexer.events import assign
    from indexer.ingest import Indexer
    from tests.store.batch_contract import _no_nlp, _partition

    monkeypatch.setattr(assign, "RECENT_MARGIN_US", 1_000_000)  # clock slack: 1 s
    prefix = f"storyrecords-test-{uuid.uuid4().hex[:12]}"
    store = ElasticsearchStore(es_url, index=prefix)
    try:
        store.ping()
        store.search_events(SearchQuery(size=1))
        es_client.indices.put_settings(index=store.events_alias,
                                       settings={"refresh_interval": "-1"})
        group = next(g for g in synthetic_groups(60) if len(g) >= 2)
        indexer = Indexer(store, _no_nlp, "test-1")
        write_batch = store.write_batch

        def long_batch(writes):  # type: ignore[no-untyped-def]
            if writes and writes[0].collection == "events":
                time.sleep(2.5)  # the rest of a long batch, assigned after this event
            return write_batch(writes)

        monkeypatch.setattr(store, "write_batch", long_batch)
        (first,) = indexer.ingest_batch(as_submitted(group[:1]))
        monkeypatch.setattr(store, "write_batch", write_batch)
        indexer.ingest(*as_submitted(group[1:2])[0])
        assert _partition(store) == [sorted(a.id for a in group[:2])], first
    finally:
        store.close()
        delete_indices(es_url, prefix)

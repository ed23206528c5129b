"""Bulk jobs over HTTP: a big batch is a 202 with a job, worked in the background, readable."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.articles.resources import prefers_async
from api.config import Settings
from api.services import Services
from indexer.jobs import JobSettings
from indexer.store.embedded import EmbeddedStore
from tests.api.test_articles import assert_problem
from tests.conftest import fake_extract

NDJSON = "application/x-ndjson"
FAST = JobSettings(lease_s=5.0, progress_lines=3, poll_s=0.02)


def _lines(count: int, *, start: int = 0, bad: tuple[int, ...] = ()) -> bytes:
    rows = []
    for n in range(start, start + count):
        record: dict[str, Any] = {"text": f"NATO and Russia met in Geneva, report {n:05d}.",
                                  "source": "jobs"}
        if n in bad:
            record = {"title": "no text"}
        rows.append(json.dumps(record))
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def working(settings: Settings, store: EmbeddedStore) -> Iterator[Flask]:
    """An app whose background job thread is on (as when served), stopped afterwards."""
    app = create_app(replace(settings, job_worker=True, max_bulk_lines=10, jobs=FAST),
                     store=store, extractor=(fake_extract, "test-1"))
    yield app
    found: Services = app.extensions["storyrecords"]
    found.job_worker().stop()


@pytest.fixture
def worker_client(working: Flask, write_key: str) -> FlaskClient:
    client = working.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {write_key}"
    return client


def _wait_done(client: FlaskClient, location: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(location).get_json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}: {job}"
        time.sleep(0.05)


def test_a_big_batch_is_accepted_as_a_job_stored_whole_before_the_answer(
    client: FlaskClient, store: EmbeddedStore, settings: Settings
) -> None:
    body = _lines(600)
    response = client.post("/v1/articles/bulk", data=body, content_type=NDJSON)
    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()
    assert response.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert (job["status"], job["total"], job["done"], job["progress"]) == ("queued", 600, 0, 0)
    assert job["bytes"] == len(body) and job["results"] == f"/v1/jobs/{job['id']}/results"
    assert job["attempts"] == 0 and job["error"] is None and job["finished_at"] is None
    # Durable: another process opening the store sees the whole batch at once.
    other = EmbeddedStore(settings.data_dir / "test.sqlite3")
    record, _ = other.jobs().get(job["id"])
    lines = [line for i in range(len(record.chunk_starts))
             for line in other.jobs().chunk(job["id"], i).lines]
    assert lines == body.splitlines()
    other.close()
    assert store.count_articles() == 0, "nothing is ingested before a worker gets to it"
    assert client.get(response.headers["Location"]).get_json() == job


def test_prefer_respond_async_makes_a_job_of_any_batch(client: FlaskClient) -> None:
    response = client.post("/v1/articles/bulk", data=_lines(2), content_type=NDJSON,
                           headers={"Prefer": "wait=10, respond-async"})
    assert response.status_code == 202
    assert response.headers["Preference-Applied"] == "respond-async"
    small = client.post("/v1/articles/bulk", data=_lines(2, start=5), content_type=NDJSON,
                        headers={"Prefer": "handling=lenient"})
    assert small.status_code == 200 and small.get_json()["created"] == 2


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], False),
        (["respond-async"], True),
        (["Respond-Async; foo=bar"], True),
        (["wait=5", "respond-async"], True),
        (["return=minimal, respond-async"], True),
        (["respond-asynchronously"], False),
        (["handling=respond-async"], False),
    ],
)
def test_prefer_is_read_as_rfc_7240_says(app: Flask, headers: list[str], expected: bool) -> None:
    with app.test_request_context(headers=[("Prefer", h) for h in headers]):
        assert prefers_async() is expected


def test_a_job_is_worked_in_the_background_and_its_results_read_page_by_page(
    worker_client: FlaskClient, store: EmbeddedStore
) -> None:
    body = _lines(25, bad=(4, 20)) + b"\n\nnot json\n"
    response = worker_client.post("/v1/articles/bulk", data=body, content_type=NDJSON)
    assert response.status_code == 202
    job = _wait_done(worker_client, response.headers["Location"])
    assert (job["status"], job["total"], job["done"], job["progress"]) == ("done", 26, 26, 1.0)
    assert (job["created"], job["unchanged"], job["rejected"]) == (23, 0, 3)
    assert job["attempts"] == 1 and job["started_at"] and job["finished_at"]
    assert store.count_articles() == 23

    first = worker_client.get(f"{job['results']}?size=10").get_json()
    assert (first["job_id"], first["status"], first["offset"]) == (job["id"], "done", 0)
    assert [r["line"] for r in first["results"]] == list(range(1, 11))
    assert first["next_offset"] == 10
    seen = list(first["results"])
    offset = first["next_offset"]
    while offset is not None:
        page = worker_client.get(f"{job['results']}?size=10&offset={offset}").get_json()
        seen += page["results"]
        offset = page["next_offset"]
    assert [r["line"] for r in seen] == [*range(1, 26), 28], "blank lines keep their numbers"
    assert [r["status"] for r in seen if r["status"] != "created"] == ["rejected"] * 3
    rejected = worker_client.get(f"{job['results']}?status=rejected").get_json()
    assert [r["line"] for r in rejected["results"]] == [5, 21, 28]
    assert rejected["next_offset"] is None
    assert "invalid JSON" in rejected["results"][-1]["errors"]["_line"][0]

    again = worker_client.post("/v1/articles/bulk", data=body, content_type=NDJSON,
                               headers={"Prefer": "respond-async"})
    repeat = _wait_done(worker_client, again.headers["Location"])
    assert (repeat["created"], repeat["unchanged"], repeat["rejected"]) == (0, 23, 3)
    assert store.count_articles() == 23, "a repeated batch stores nothing twice"


def test_a_batch_of_only_bad_lines_is_a_422_not_a_job(
    worker_client: FlaskClient, store: EmbeddedStore
) -> None:
    body = b"[1]\n{}\nnot json\n" * 200 + b'{"text": ""}\n'
    response = worker_client.post("/v1/articles/bulk", data=body, content_type=NDJSON)
    problem = assert_problem(response, 422)
    assert "All 601 lines were rejected" in problem["detail"]
    assert len(problem["results"]) == 10, "the first lines' results (the sync cap here)"
    assert {r["status"] for r in problem["results"]} == {"rejected"}
    assert store.jobs().recent() == [], "nothing stored"
    mixed = worker_client.post("/v1/articles/bulk", data=body + _lines(1), content_type=NDJSON)
    assert mixed.status_code == 202, "one good line: the worker judges them all"
    job = _wait_done(worker_client, mixed.headers["Location"])
    assert (job["status"], job["rejected"], job["created"]) == ("done", 601, 1)


def test_reading_a_job_needs_a_key_even_where_reads_are_open(
    client: FlaskClient, anonymous: FlaskClient, store: EmbeddedStore
) -> None:
    response = client.post("/v1/articles/bulk", data=_lines(3), content_type=NDJSON,
                           headers={"Prefer": "respond-async"})
    location = response.headers["Location"]
    assert anonymous.get("/v1/articles").status_code == 200, "reads are open"
    for path in (location, f"{location}/results"):
        body = assert_problem(anonymous.get(path), 401)
        assert body["type"] == "/problems/key-required"
        reader = store.keys().create(f"reader-{len(path)}", ["read"])
        got = anonymous.get(path, headers={"Authorization": f"Bearer {reader}"})
        assert got.status_code == 200
        assert client.get(path).status_code == 200, "the submitting key"


def test_unknown_jobs_and_bad_parameters(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/jobs/j" + "0" * 24), 404)
    assert_problem(client.get("/v1/jobs/not-a-job"), 404)
    assert_problem(client.get("/v1/jobs/j" + "0" * 24 + "/results"), 404)
    location = client.post("/v1/articles/bulk", data=_lines(2), content_type=NDJSON,
                           headers={"Prefer": "respond-async"}).headers["Location"]
    for query in ("size=0", "size=1001", "offset=-1", "status=great", "colour=red"):
        assert_problem(client.get(f"{location}/results?{query}"), 422)
    page = client.get(f"{location}/results").get_json()
    assert page["results"] == [] and page["next_offset"] == 0, "nothing done yet: come back"


def test_a_job_submitted_while_the_store_is_down_is_a_503_and_nothing_is_kept(
    settings: Settings, store: EmbeddedStore, write_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer.errors import StoreUnavailable
    from indexer.store.jobs_embedded import EmbeddedJobStore

    def down(*_: Any, **__: Any) -> None:
        raise StoreUnavailable("disk gone")

    monkeypatch.setattr(EmbeddedJobStore, "create", down)
    client = create_app(settings, store=store, extractor=(fake_extract, "t")).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {write_key}"
    response = client.post("/v1/articles/bulk", data=_lines(3), content_type=NDJSON,
                           headers={"Prefer": "respond-async"})
    body = assert_problem(response, 503)
    assert "Retry-After" in response.headers and "disk gone" not in body["detail"]


def test_storyrecords_jobs_run_drains_what_the_api_accepted(
    client: FlaskClient, store: EmbeddedStore, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.cli import main

    location = client.post("/v1/articles/bulk", data=_lines(7), content_type=NDJSON,
                           headers={"Prefer": "respond-async"}).headers["Location"]
    monkeypatch.setenv("STORYRECORDS_EXTRACTOR", "none")  # no spaCy in a unit test
    monkeypatch.setenv("STORYRECORDS_JOB_POLL_SECONDS", "0.05")
    store_file = settings.data_dir / "test.sqlite3"
    monkeypatch.setattr("indexer.store.factory.open_store",
                        lambda _settings: EmbeddedStore(store_file))
    done = CliRunner().invoke(main, ["jobs", "run"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    job = client.get(location).get_json()
    assert (job["status"], job["created"]) == ("done", 7)
    listed = CliRunner().invoke(main, ["jobs", "list", "--json"], catch_exceptions=False)
    assert json.loads(listed.output.splitlines()[0])["status"] == "done"


def test_the_contract_documents_the_job_design(app: Flask) -> None:
    spec = yaml.safe_load(app.test_client().get("/openapi.yaml").get_data())
    bulk = spec["paths"]["/v1/articles/bulk"]["post"]
    assert {"200", "202", "413"} <= set(bulk["responses"])
    assert set(bulk["responses"]["202"]["headers"]) >= {"Location", "Preference-Applied"}
    assert any(p["name"] == "Prefer" for p in bulk["parameters"])
    for word in ("lease", "compare-and-set", "durably", "unchanged", "reindex"):
        assert word in bulk["description"], word
    job = spec["paths"]["/v1/jobs/{job_id}"]["get"]
    assert job["security"] == [{"bearerAuth": []}], "a key is always needed"
    assert set(spec["components"]["schemas"]["Job"]["properties"]["status"]["enum"]) == {
        "queued", "running", "done", "failed"}

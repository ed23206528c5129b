"""End to end: a real server process, the real NLP pipeline, the two Geneva samples, over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import SHARED, in_ci

SAMPLES = SHARED / "samples"
pytestmark = pytest.mark.slow
WRITE_KEYS: dict[str, str] = {}  # server base URL -> a write key made with `keys create`


def _auth(base: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {WRITE_KEYS[base]}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _backends() -> list[Any]:
    es = os.environ.get("STORYRECORDS_TEST_ELASTICSEARCH_URL")
    marks = [] if es else [pytest.mark.skip(reason="STORYRECORDS_TEST_ELASTICSEARCH_URL unset")]
    if not es and in_ci():
        marks = []  # in CI the fixture fails loudly instead of skipping
    return ["embedded", pytest.param("elasticsearch", marks=marks)]


@pytest.fixture(params=_backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if not SAMPLES.exists():
        if in_ci():
            pytest.fail(f"{SAMPLES} is missing; CI must have ../shared beside the repo")
        pytest.skip(f"{SAMPLES} not found")
    env = {**os.environ, "STORYRECORDS_DATA_DIR": str(tmp_path / "data")}
    env.pop("STORYRECORDS_ELASTICSEARCH_URL", None)
    if request.param == "elasticsearch":
        url = os.environ.get("STORYRECORDS_TEST_ELASTICSEARCH_URL")
        if not url:
            pytest.fail("CI=true but STORYRECORDS_TEST_ELASTICSEARCH_URL is unset")
        env["STORYRECORDS_ELASTICSEARCH_URL"] = url
        env["STORYRECORDS_ELASTICSEARCH_INDEX"] = f"e2e-{uuid.uuid4().hex[:8]}"
    key = subprocess.run(
        [sys.executable, "-m", "api.cli", "keys", "create", "--name", "e2e", "--scope", "write"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        # Two gunicorn workers: concurrent ingests really run in two processes.
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    WRITE_KEYS[base] = key
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # busy, not yet ready
                pass
            if proc.poll() is not None:
                pytest.fail((tmp_path / "server.log").read_text())
            time.sleep(0.5)
        else:
            pytest.fail("server did not become ready: " + (tmp_path / "server.log").read_text())
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        if request.param == "elasticsearch":
            _drop_indices(env["STORYRECORDS_ELASTICSEARCH_URL"],
                          env["STORYRECORDS_ELASTICSEARCH_INDEX"])


def _drop_indices(url: str, prefix: str) -> None:
    """Leave a shared server as we found it."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url, request_timeout=30)
    for index in client.indices.get(index=f"{prefix}-*").body:
        client.indices.delete(index=index)
    client.close()


def _bodies() -> list[dict[str, Any]]:
    expected = json.loads((SAMPLES / "geneva-talks.expected.json").read_text())
    return [
        {
            "text": (SAMPLES / name).read_text(encoding="utf-8"),
            "source": meta["source"],
            "published_at": meta["published_at"],
        }
        for name, meta in expected["articles"].items()
    ]


SEARCH_LAG_S = 10.0
"""Search sees a write within the index's refresh interval (1 s on Elasticsearch, at once on
SQLite); reads by id see it at once. A user searching right after posting waits at most this."""


def eventually(fetch: Callable[[], dict[str, Any]], ready: Callable[[dict[str, Any]], bool]
               ) -> dict[str, Any]:
    """``fetch()`` once ``ready`` holds for it, polling until :data:`SEARCH_LAG_S`."""
    deadline = time.monotonic() + SEARCH_LAG_S
    while True:
        found = fetch()
        if ready(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _post_samples(base: str) -> list[dict[str, Any]]:
    records = []
    for body in _bodies():
        response = requests.post(f"{base}/v1/articles", json=body, headers=_auth(base),
                                 timeout=60)
        assert response.status_code == 201, response.text
        again = requests.post(f"{base}/v1/articles", json=body, headers=_auth(base), timeout=60)
        assert again.status_code == 200
        records.append(response.json())
    return records


def test_samples_posted_at_the_same_moment_make_one_event(server: str) -> None:
    """Both reports arrive together (two workers); they end in one event with its conflicts."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(
            pool.map(
                lambda body: requests.post(
                    f"{server}/v1/articles", json=body, headers=_auth(server), timeout=120
                ),
                _bodies(),
            )
        )
    assert [r.status_code for r in responses] == [201, 201]
    event_ids = {r.json()["event_id"] for r in responses}
    assert len(event_ids) == 1, f"split into {event_ids}"

    wanted = "title,date,venue,articles,related,conflicts,parties"  # hits are lean otherwise
    events = eventually(
        lambda: requests.get(f"{server}/v1/events", params={"fields": wanted}, timeout=30).json(),
        lambda found: found["total"] == 1 and len(found["hits"][0]["articles"]) == 2,
    )
    assert events["total"] == 1
    (event,) = events["hits"]
    assert event["id"] in event_ids
    assert sorted(event["articles"]) == sorted(r.json()["id"] for r in responses)
    assert "Geneva" in event["title"] and event["date"]["value"] == "2022-01-10"
    assert event["venue"]["name"] == "Geneva"
    related = {h["venue"]: h for h in event["related"]}
    assert {"NATO", "Russia"} <= set(related["Brussels"]["what"].replace("-", " ").split())
    assert "OSCE" in related["Vienna"]["what"]
    conflicts = {frozenset(v["value"] for v in c["values"]): c for c in event["conflicts"]}
    for values in (
        {"US Deputy Secretary of State", "US Deputy Foreign Minister"},
        {"eight-hour", "nearly eight-hour"},
        {"2022-01-11", "2022-01-12"},
    ):
        conflict = conflicts[frozenset(values)]
        for value in conflict["values"]:
            assert value["articles"], "every conflicting value names its article"
    parties = {p["name"]: p["article_count"] for p in event["parties"]}
    assert parties["United States"] == parties["Russia"] == parties["NATO"] == 2

    same = requests.get(f"{server}/v1/events/{event['id']}", timeout=30).json()
    assert same["id"] == event["id"]
    members = eventually(
        lambda: requests.get(f"{server}/v1/events/{event['id']}/articles", timeout=30).json(),
        lambda found: found["total"] == 2,
    )
    assert members["total"] == 2
    by_party = requests.get(
        f"{server}/v1/events", params={"party": "person:wendy-sherman"}, timeout=30
    ).json()
    assert by_party["total"] == 1


def test_samples_make_real_facets(server: str) -> None:
    records = _post_samples(server)
    for record in records:
        assert "More Stories" not in record["text"]

    page = eventually(
        lambda: requests.get(f"{server}/v1/articles", timeout=30).json(),
        lambda found: found["total"] == 2,
    )
    assert page["total"] == 2
    parties = {b["label"]: b["count"] for b in page["facets"]["party"]}
    venues = {b["label"]: b for b in page["facets"]["venue"]}
    for name in ("United States", "Russia", "NATO"):
        assert parties.get(name) == 2, parties
    for name in ("Geneva", "Brussels", "Vienna"):
        assert venues[name]["count"] == 2, venues
    assert {b["value"] for b in page["facets"]["source"]} == {"sample-short", "sample-long"}

    brussels = venues["Brussels"]["value"]
    filtered = requests.get(
        f"{server}/v1/articles",
        params={"venue": brussels, "source": "sample-short"},
        timeout=30,
    ).json()
    assert [h["source"] for h in filtered["hits"]] == ["sample-short"]
    # The source facet ignores its own filter, so the other source stays selectable.
    assert {b["value"]: b["count"] for b in filtered["facets"]["source"]} == {
        "sample-short": 1,
        "sample-long": 1,
    }
    # Other facets are narrowed: Germany is named only in the long article.
    assert "Germany" not in {b["label"] for b in filtered["facets"]["party"]}

    stoltenberg = requests.get(f"{server}/v1/articles", params={"q": "Stoltenberg"}, timeout=30)
    assert [h["source"] for h in stoltenberg.json()["hits"]] == ["sample-long"]


def _search_json(url: str, fields: str) -> dict[str, Any]:
    found: dict[str, Any] = requests.get(url, params={"fields": fields}, timeout=30).json()
    return found


def _every_hit_has(name: str, page: dict[str, Any]) -> bool:
    return bool(page["hits"]) and all(hit.get(name) for hit in page["hits"])


def test_every_search_answers_exactly_what_its_documented_schema_gives(server: str) -> None:
    """Search bodies are sent as built, not dumped again through their response schemas
    (api.search_args.page_response): with every field of real records asked for, each body
    must be what that schema would make of it: no key more, none less, no value changed."""
    from api.articles.schemas import ArticleSchema, ArticleSearchResultSchema
    from api.events.schemas import EventSchema, EventSearchResultSchema
    from api.fields import field_names
    from api.stories.schemas import StorySchema, StorySearchResultSchema

    _post_samples(server)
    events = eventually(lambda: requests.get(f"{server}/v1/events", timeout=30).json(),
                        lambda found: found["total"] == 1)
    event_id = events["hits"][0]["id"]
    every = {"article": ",".join(field_names(ArticleSchema)),
             "event": ",".join(field_names(EventSchema)),
             "story": ",".join(field_names(StorySchema))}
    searches = [  # path, fields, schema, a nested field every hit must carry
        ("/v1/articles", every["article"], ArticleSearchResultSchema(), "demands"),
        (f"/v1/events/{event_id}/articles", every["article"], ArticleSearchResultSchema(),
         "venues"),
        ("/v1/events", every["event"], EventSearchResultSchema(), "conflicts"),
        ("/v1/stories", every["story"], StorySearchResultSchema(), "announced"),
    ]
    for path, fields, schema, nested in searches:
        # Elasticsearch's search documents catch up within its refresh interval: wait for
        # the records as both articles made them (the event's conflicts, the story's plans).
        body = eventually(
            partial(_search_json, f"{server}{path}", fields),
            partial(_every_hit_has, nested),
        )
        assert body["total"] >= 1 and all(hit[nested] for hit in body["hits"]), (path, body)
        assert schema.dump(body) == body, path
        assert all(set(hit) <= set(fields.split(",")) for hit in body["hits"]), path

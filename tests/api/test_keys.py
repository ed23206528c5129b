"""API keys over HTTP, as a curl user, a front end and an operator revoking a key meet them."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.auth import KeyCache
from api.config import Settings
from indexer.keys import CACHE_SECONDS
from indexer.store.embedded import EmbeddedStore
from tests.api.test_articles import GENEVA, assert_problem
from tests.api.test_contract_docs import ROOT
from tests.conftest import fake_extract


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_challenge(response: Any, error: str | None) -> dict[str, Any]:
    body = assert_problem(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    return body


def test_writes_without_a_key_are_401_and_store_nothing(
    anonymous: FlaskClient, store: EmbeddedStore
) -> None:
    for response in (
        anonymous.post("/v1/articles", json=GENEVA),
        anonymous.post("/v1/articles/bulk", data='{"text": "NATO met."}\n',
                       content_type="application/x-ndjson"),
        anonymous.delete("/v1/articles/abc"),
    ):
        body = assert_challenge(response, None)
        assert body["type"] == "/problems/key-required"
        assert "write" in body["detail"]
    assert store.count_articles() == 0


def test_reads_are_open_and_a_write_key_can_write(
    anonymous: FlaskClient, client: FlaskClient
) -> None:
    assert client.post("/v1/articles", json=GENEVA).status_code == 201
    assert anonymous.get("/v1/articles").get_json()["total"] == 1
    assert anonymous.get("/v1/events").status_code == 200


def test_a_read_key_cannot_write(anonymous: FlaskClient, store: EmbeddedStore) -> None:
    reader = store.keys().create("dashboard", ["read"])
    response = anonymous.post("/v1/articles", json=GENEVA, headers=bearer(reader))
    body = assert_problem(response, 403)
    assert body["type"] == "/problems/insufficient-scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert anonymous.get("/v1/articles", headers=bearer(reader)).status_code == 200
    assert store.count_articles() == 0


@pytest.mark.parametrize(
    "header",
    ["Bearer srk_0123456789ab_" + "A" * 43, "Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_a_bad_key_is_401_even_on_an_open_read(anonymous: FlaskClient, header: str) -> None:
    response = anonymous.get("/v1/articles", headers={"Authorization": header})
    body = assert_challenge(response, "invalid_token")
    assert body["type"] == "/problems/invalid-key"


def test_the_key_never_appears_in_answers_or_logs(
    anonymous: FlaskClient, write_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = write_key[:-4] + ("AAAA" if not write_key.endswith("AAAA") else "BBBB")
    with caplog.at_level(logging.DEBUG):
        answers = [
            anonymous.get("/v1/articles", headers=bearer(wrong)),
            anonymous.post("/v1/articles", json={"text": ""}, headers=bearer(write_key)),
            anonymous.get("/v1/articles?size=0", headers=bearer(write_key)),
        ]
    for response in answers:
        text = response.get_data(as_text=True) + str(response.headers)
        assert write_key not in text and wrong not in text
    assert write_key not in caplog.text and wrong not in caplog.text


def test_reads_need_a_key_when_the_server_says_so(tmp_path: Any, store: EmbeddedStore) -> None:
    settings = Settings(data_dir=tmp_path / "data", require_read_key=True)
    client = create_app(settings, store=store, extractor=(fake_extract, "t")).test_client()
    assert_challenge(client.get("/v1/articles"), None)
    assert_challenge(client.get("/v1/events/e1"), None)
    reader = store.keys().create("reader", ["read"])
    writer = store.keys().create("writer", ["write"])
    assert client.get("/v1/articles", headers=bearer(reader)).status_code == 200
    assert client.get("/v1/articles", headers=bearer(writer)).status_code == 200, "write ⊃ read"
    assert client.get("/healthz").status_code == 200, "probes never need a key"


def test_a_revoked_key_is_refused_within_the_cache_time(
    client: FlaskClient, store: EmbeddedStore, write_key: str
) -> None:
    assert client.post("/v1/articles", json=GENEVA).status_code == 201
    store.keys().revoke("tests")
    deadline = time.monotonic() + CACHE_SECONDS + 5  # generous: a busy machine is slow
    while (status := client.get("/v1/articles").status_code) != 401:
        assert status == 200
        assert time.monotonic() < deadline, "a revoked key kept working"
        time.sleep(0.1)
    assert_challenge(client.post("/v1/articles", json=GENEVA), "invalid_token")


def test_the_cache_forgets_after_its_time_and_records_use_to_the_minute(
    store: EmbeddedStore,
) -> None:
    now = [1000.0]
    cache = KeyCache(store.keys, clock=lambda: now[0])
    key = store.keys().create("cached", ["write"])
    assert cache.authenticate(key) is not None
    first_use = store.keys().all()[0].last_used_at
    assert first_use is not None
    store.keys().revoke("cached")
    now[0] += CACHE_SECONDS - 0.5
    assert cache.authenticate(key) is not None, "within the cache time it is remembered"
    now[0] += 1
    assert cache.authenticate(key) is None, "after it, the revocation is seen"


def test_contract_declares_bearer_security_per_operation() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    ops = {
        op["operationId"]: op
        for path in spec["paths"].values()
        for method, op in path.items()
        if method != "parameters"
    }
    for name in ("createArticle", "bulkCreateArticles", "deleteArticle"):
        assert ops[name]["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= set(ops[name]["responses"])
    for name in ("searchArticles", "getArticle", "searchEvents", "getEvent", "listEventArticles"):
        assert ops[name]["security"] == [{}, {"bearerAuth": []}], "reads: key optional"
        assert "401" in ops[name]["responses"]
    for name in ("healthz", "readyz"):
        assert ops[name]["security"] == []


def test_the_served_contract_does_not_depend_on_require_read_key(
    app: Flask, store: EmbeddedStore, settings: Settings
) -> None:
    strict = create_app(replace(settings, require_read_key=True), store=store)
    served = [a.test_client().get("/openapi.yaml").get_data() for a in (app, strict)]
    assert served[0] == served[1]

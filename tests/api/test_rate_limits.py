"""Rate limits in one process: the budget, its headers and the 429 a client is told to wait on.

That the budget holds across gunicorn workers (Redis) is tests/e2e/test_rate_limits.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from limits.storage import storage_from_string

from api.app import create_app
from api.config import Settings
from api.ratelimit import SweptMemoryStorage, storage_uri
from indexer.store.embedded import EmbeddedStore
from tests.api.test_articles import assert_problem


def _limited(settings: Settings, store: EmbeddedStore, limit: str = "3/minute") -> FlaskClient:
    return create_app(replace(settings, rate_limit=limit), store=store).test_client()


def test_over_the_limit_is_429_with_retry_after_and_ratelimit_headers(
    settings: Settings, store: EmbeddedStore
) -> None:
    client = _limited(settings, store)
    seen = []
    for _ in range(3):
        response = client.get("/v1/articles")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 60, "seconds, not a timestamp"
        seen.append(int(response.headers["RateLimit-Remaining"]))
    assert seen == [2, 1, 0]
    refused = client.get("/v1/events")  # one budget across endpoints
    body = assert_problem(refused, 429)
    assert body["type"] == "/problems/rate-limited"
    assert "3 per 1 minute" in body["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_each_key_and_each_address_has_its_own_budget(
    settings: Settings, store: EmbeddedStore
) -> None:
    client = _limited(settings, store, "2/minute")
    keys = [store.keys().create(name, ["read"]) for name in ("a", "b")]
    for key in keys:
        for _ in range(2):
            assert client.get("/v1/articles", headers={"Authorization": f"Bearer {key}"}
                              ).status_code == 200
    for key in keys:
        assert client.get("/v1/articles", headers={"Authorization": f"Bearer {key}"}
                          ).status_code == 429
    for address in ("10.1.1.1", "10.2.2.2"):
        for expected in (200, 200, 429):
            response = client.get("/v1/articles", environ_base={"REMOTE_ADDR": address})
            assert response.status_code == expected


def test_bad_keys_spend_the_address_budget(settings: Settings, store: EmbeddedStore) -> None:
    """Guessing keys costs the guesser's address, so guessing is as slow as the limit."""
    client = _limited(settings, store, "2/minute")
    wrong = {"Authorization": "Bearer srk_0123456789ab_" + "A" * 43}
    assert [client.get("/v1/articles", headers=wrong).status_code for _ in range(3)] == [
        401, 401, 429]


def test_probes_and_preflights_are_never_limited(
    settings: Settings, store: EmbeddedStore
) -> None:
    client = _limited(settings, store, "1/minute")
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert "RateLimit-Limit" not in client.get("/healthz").headers
        assert client.options("/v1/articles").status_code == 200
    assert client.get("/v1/articles").status_code == 200


def test_the_limit_can_be_switched_off(settings: Settings, store: EmbeddedStore) -> None:
    client = _limited(settings, store, "off")
    for _ in range(5):
        response = client.get("/v1/articles")
        assert response.status_code == 200 and "RateLimit-Limit" not in response.headers


def test_counting_a_request_starts_no_thread(
    settings: Settings, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """limits' own memory storage started a timer thread per request (~1 ms of a search)."""
    client = _limited(settings, store, "100/minute")
    client.get("/v1/articles")
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def counted(thread: threading.Thread) -> None:
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted)
    for _ in range(5):
        time.sleep(0.02)  # past the 10 ms after which limits' timer would have finished
        assert client.get("/v1/articles").status_code == 200
    assert started == []


def test_windows_that_ran_out_are_swept_from_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = storage_from_string(storage_uri("memory://"))
    assert isinstance(storage, SweptMemoryStorage)
    for address in range(50):
        storage.incr(f"addr:10.0.0.{address}", expiry=0.05)
    assert storage.get("addr:10.0.0.1") == 1
    assert len(storage.storage) == 50
    time.sleep(0.06)  # every window has run out ...
    assert len(storage.storage) == 50  # ... but the sweep waits its turn
    later = time.monotonic() + SweptMemoryStorage.SWEEP_EVERY_S
    monkeypatch.setattr(time, "monotonic", lambda: later)
    storage.incr("addr:10.9.9.9", expiry=60)
    assert set(storage.storage) == {"addr:10.9.9.9"}
    assert storage.get("addr:10.9.9.9") == 1

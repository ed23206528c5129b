"""What a client is told when a write fails half way or the disk is full (through Flask's
client, faults injected into the embedded store).

An article stored whose event could not be written (``NotAssigned``) *was* changed: the 503
says so, names the article (``article_id``), and the same request repeated finishes it (200,
the stored record, in its event). A full disk (``StoreFull``) is a 507 ``/problems/store-full``
with ``Retry-After``: nothing was stored, and the repeat once space is back creates it (201).
The real-disk version of the second is ``test_embedded_faults.test_out_of_disk``.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.check import IN_ONE_EVENT, check
from indexer.errors import StoreFull, StoreUnavailable
from indexer.store.embedded import EmbeddedStore

pytestmark = pytest.mark.slow  # the fault suite runs as one (it is fast, though)

ARTICLE = {"text": "NATO and Russia met in Geneva on Monday for crisis talks about Ukraine.",
           "source": "wire", "published_at": "2022-01-11"}


@pytest.fixture
def writer(app: Flask, store: EmbeddedStore) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {store.keys().create('t', ['write'])}"
    return client


def test_a_failed_assignment_says_the_article_is_stored_and_a_repeat_finishes(
    writer: FlaskClient, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*_: Any, **__: Any) -> str:
        raise StoreUnavailable("the server went away between the two writes")

    with monkeypatch.context() as patch:
        patch.setattr(store, "set_article_event", unreachable)
        first = writer.post("/v1/articles", json=ARTICLE)
    assert first.status_code == 503
    assert first.headers["Retry-After"]
    body = first.get_json()
    assert body["type"] == "/problems/store-unavailable"
    assert body["article_id"] in body["detail"]
    assert "Repeat the same request" in body["detail"]
    assert "Nothing was changed" not in body["detail"]  # it was: the article is stored
    assert store.get_article(body["article_id"]).event_id is None
    assert [f.invariant for f in check(store).findings] == [IN_ONE_EVENT]

    again = writer.post("/v1/articles", json=ARTICLE)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == body["article_id"] and again.get_json()["event_id"]
    assert check(store).clean


def test_a_full_disk_is_a_507_and_the_repeat_creates_the_article(
    writer: FlaskClient, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: Any, **__: Any) -> None:
        raise StoreFull("embedded store could not write: database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(store, "put_article", full)
        refused = writer.post("/v1/articles", json=ARTICLE)
    assert refused.status_code == 507
    assert refused.headers["Retry-After"]
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    body = refused.get_json()
    assert body["type"] == "/problems/store-full"
    assert "no space" in body["detail"] and "disk is full" not in body["detail"]  # no internals
    assert store.count_articles() == 0

    again = writer.post("/v1/articles", json=ARTICLE)
    assert again.status_code == 201, again.get_json()
    assert check(store).clean

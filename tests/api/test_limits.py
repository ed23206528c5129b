"""No request can hurt a worker: each input here gave a 500 or a half-done answer before."""

from __future__ import annotations

import base64
import io
import json
import logging
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.config import Settings
from api.cursors import SECRET_FILE, sign
from indexer.errors import StoreUnavailable
from indexer.store.embedded import EmbeddedStore
from tests.api.test_articles import BERLIN, GENEVA, assert_problem
from tests.conftest import fake_extract

NDJSON = "application/x-ndjson"


def _lines(count: int, pad: int = 200) -> bytes:
    return b"".join(
        json.dumps({"text": f"Russia and NATO met in Geneva, report {n:04d}. " + "x" * pad})
        .encode() + b"\n"
        for n in range(count)
    )


def _chunked(client: FlaskClient, path: str, body: bytes, mimetype: str) -> Any:
    """A body without Content-Length, as gunicorn passes a chunked one (input terminated)."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=mimetype,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_bulk_body_over_the_limit_is_413_and_stores_nothing(
    tmp_path: Path, store: EmbeddedStore, write_key: str
) -> None:
    """Was: 36 KB chunked against a 20 KB limit answered 200, 66 created, the rest dropped."""
    settings = Settings(data_dir=tmp_path / "data", max_bulk_bytes=20_000)
    client = create_app(settings, store=store, extractor=(fake_extract, "t")).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {write_key}"
    body = _lines(120)
    assert len(body) > 30_000
    body_413 = assert_problem(_chunked(client, "/v1/articles/bulk", body, NDJSON), 413)
    assert "20000 bytes" in body_413["detail"]
    assert store.count_articles() == 0
    # The same body with Content-Length, and a chunked body within the limit.
    assert_problem(client.post("/v1/articles/bulk", data=body, content_type=NDJSON), 413)
    small = _chunked(client, "/v1/articles/bulk", _lines(10), NDJSON)
    assert small.status_code == 200 and small.get_json()["created"] == 10


def test_a_chunked_article_over_the_limit_is_413(client: FlaskClient) -> None:
    big = json.dumps({**GENEVA, "text": GENEVA["text"] + " x" * 40_000}).encode()
    assert_problem(_chunked(client, "/v1/articles", big, "application/json"), 413)
    ok = _chunked(client, "/v1/articles", json.dumps(GENEVA).encode(), "application/json")
    assert ok.status_code == 201


def test_bulk_line_count_is_capped_before_anything_is_stored(
    tmp_path: Path, store: EmbeddedStore, write_key: str
) -> None:
    """Over the synchronous cap a batch becomes a job (202); over the job cap it is a 413."""
    settings = Settings(data_dir=tmp_path / "data", max_bulk_lines=5, max_job_lines=8)
    client = create_app(settings, store=store, extractor=(fake_extract, "t")).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {write_key}"
    body = assert_problem(client.post("/v1/articles/bulk", data=_lines(9, 10),
                                      content_type=NDJSON), 413)
    assert "at most 8" in body["detail"]
    assert store.jobs().recent() == []
    accepted = client.post("/v1/articles/bulk", data=_lines(6, 10), content_type=NDJSON)
    assert accepted.status_code == 202 and accepted.headers["Location"].startswith("/v1/jobs/")
    assert "Preference-Applied" not in accepted.headers
    assert store.count_articles() == 0, "a job is worked in the background (off here)"
    assert client.post("/v1/articles/bulk", data=_lines(5, 10),
                       content_type=NDJSON).status_code == 200


def test_deeply_nested_json_is_422_not_500(client: FlaskClient, store: EmbeddedStore) -> None:
    deep = '{"text": ' + "[" * 3000 + "]" * 3000 + "}"
    body = assert_problem(client.post("/v1/articles", data=deep,
                                      content_type="application/json"), 422)
    assert "nested" in body["detail"]
    moderately = '{"text": "NATO met.", "title": ' + "[" * 40 + "]" * 40 + "}"
    assert_problem(client.post("/v1/articles", data=moderately,
                               content_type="application/json"), 422)
    assert store.count_articles() == 0


def test_a_deep_bulk_line_is_rejected_and_the_others_are_stored(client: FlaskClient) -> None:
    lines = [json.dumps(GENEVA), '{"text": ' + "[" * 5000 + "]" * 5000 + "}", json.dumps(BERLIN)]
    response = client.post("/v1/articles/bulk", data="\n".join(lines), content_type=NDJSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert "nested" in results[1]["errors"]["_line"][0]


def test_an_unexpected_error_on_one_bulk_line_does_not_stop_the_rest(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from indexer.ingest import LanguageAware

    real = LanguageAware.__call__

    def flaky(self: LanguageAware, item: Any) -> Any:
        if "Berlin" in item.text:
            raise RuntimeError("bug in /srv/app/extract.py")
        return real(self, item)

    monkeypatch.setattr(LanguageAware, "__call__", flaky)
    # a batch extracts its lines together: the bug escapes it, and each line is done alone
    monkeypatch.setattr(LanguageAware, "many",
                        lambda self, items: [flaky(self, item) for item in items])
    lines = [json.dumps(BERLIN), json.dumps(GENEVA)]
    with caplog.at_level(logging.ERROR):
        response = client.post("/v1/articles/bulk", data="\n".join(lines), content_type=NDJSON)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["error", "created"]
    assert "/srv/app" not in response.get_data(as_text=True)
    rid = response.headers["X-Request-Id"]
    assert rid in results[0]["errors"]["_line"][0]
    assert rid in caplog.text and "/srv/app/extract.py" in caplog.text


@pytest.mark.parametrize(
    "after",
    [[10**30, "a1"], [float("inf"), "a1"], ["2022-01-10", 10**30], [["x"], "a1"], [1.0, ""]],
)
def test_cursors_with_values_no_backend_takes_are_422(
    client: FlaskClient, app: Flask, after: list[Any]
) -> None:
    """Was: a cursor holding 10**30 reached SQLite and answered 500."""
    for sort in ("relevance", "newest"):
        raw = json.dumps({"s": sort, "a": after, "t": 1, "h": "0" * 16}).encode()
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        # Hand-made: refused for its missing signature.
        assert_problem(client.get(f"/v1/articles?cursor={token}"), 422)
        # Even signed with the server's own secret, its values are checked one by one.
        with app.app_context():
            from api.services import services

            signed = sign(services().cursor_key(), token)
        body = assert_problem(client.get(f"/v1/articles?cursor={signed}"), 422)
        assert body["errors"]["query"]["cursor"]


def test_cursors_are_signed_and_an_edited_one_is_refused(client: FlaskClient) -> None:
    for n in range(3):
        article = {**GENEVA, "text": f"{GENEVA['text']} Report {n}."}
        assert client.post("/v1/articles", json=article).status_code == 201
    cursor = client.get("/v1/articles?size=1").get_json()["next_cursor"]
    token, _, mac = cursor.rpartition(".")
    assert token and mac
    assert client.get(f"/v1/articles?size=1&cursor={cursor}").status_code == 200
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    payload["t"] += 10**6  # look further into the future than the walk began
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    body = assert_problem(client.get(f"/v1/articles?size=1&cursor={forged}.{mac}"), 422)
    assert "not issued by this server" in body["detail"]


def test_the_cursor_secret_is_shared_and_kept_owner_only(
    tmp_path: Path, store: EmbeddedStore, settings: Settings
) -> None:
    """Two workers (two apps) over one data directory accept each other's cursors."""
    apps = [create_app(settings, store=store) for _ in range(2)]
    key = store.keys().create("writer", ["write"])
    for n in range(3):
        article = {**GENEVA, "text": f"{GENEVA['text']} Report {n}."}
        apps[0].test_client().post("/v1/articles", json=article,
                                   headers={"Authorization": f"Bearer {key}"})
    first, second = (a.test_client() for a in apps)
    cursor = first.get("/v1/articles?size=1").get_json()["next_cursor"]
    assert cursor and second.get(f"/v1/articles?size=1&cursor={cursor}").status_code == 200
    secret = settings.data_dir / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    other = create_app(replace(settings, secret_key="another deployment"), store=store)
    assert_problem(other.test_client().get(f"/v1/articles?size=1&cursor={cursor}"), 422)


def test_creating_the_app_writes_no_secret(tmp_path: Path) -> None:
    create_app(Settings(data_dir=tmp_path / "nowhere"))
    assert not (tmp_path / "nowhere").exists(), "`storyrecords openapi` must not touch the disk"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=" + "é" * 251, "q"),  # 251 characters, 502 bytes
        ("&".join(f"party=p{n}" for n in range(9)) + "&" +
         "&".join(f"venue=v{n}" for n in range(8)), "_schema"),
        ("party=" + "ü" * 51, "party"),
        ("cursor=" + "a" * 513, "cursor"),
    ],
)
def test_search_limits_fit_the_request_line(client: FlaskClient, query: str, field: str) -> None:
    body = assert_problem(client.get(f"/v1/articles?{query}"), 422)
    assert field in body["errors"]["query"]


def test_a_search_at_every_limit_fits_in_the_request_line(client: FlaskClient) -> None:
    from urllib.parse import quote

    from api.limits import MAX_REQUEST_LINE

    values = [("demand_by", "€" * 33)] * 10 + [("demand_of", "€" * 33)] * 6  # 99 bytes each
    params = [("q", "€" * 166), *values, ("size", "100"), ("facet_size", "100"),
              ("sort", "relevance"), ("date_from", "2022-01-01"), ("date_to", "2022-12-31")]
    query = "&".join(f"{k}={quote(v)}" for k, v in params)
    line = f"GET /v1/events/{'e' * 128}/articles?{query}&cursor={'a' * 512} HTTP/1.1"
    assert len(line.encode()) <= MAX_REQUEST_LINE
    response = client.get(f"/v1/articles?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_an_overlong_url_is_414(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/articles?q=" + "a" * 9000), 414)


class _BrokenStore(EmbeddedStore):
    def ping(self) -> None:
        raise StoreUnavailable("sqlite: disk I/O error at /srv/secret/store.sqlite3")

    def search_articles(self, query: Any) -> Any:
        raise StoreUnavailable("Elasticsearch at http://elastic:S3cretPass@10.0.0.9 is down")


def test_store_errors_reach_the_log_under_a_request_id_not_the_client(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _BrokenStore(tmp_path / "s.sqlite3")
    client = create_app(Settings(data_dir=tmp_path), store=store).test_client()
    with caplog.at_level(logging.WARNING):
        answers = [client.get("/readyz"), client.get("/v1/articles")]
    for response in answers:
        body = assert_problem(response, 503)
        text = response.get_data(as_text=True)
        assert "S3cretPass" not in text and "/srv/secret" not in text and "sqlite" not in text
        assert body["request_id"] == response.headers["X-Request-Id"]
        assert body["request_id"] in caplog.text
    assert "S3cretPass" in caplog.text, "the operator still gets the detail"


def test_every_answer_has_a_request_id(client: FlaskClient) -> None:
    for response in (client.get("/healthz"), client.get("/nope"), client.get("/v1/articles")):
        assert len(response.headers["X-Request-Id"]) >= 8
    problem = client.get("/nope")
    assert problem.get_json()["request_id"] == problem.headers["X-Request-Id"]
    kept = client.get("/healthz", headers={"X-Request-Id": "proxy-abc-123"})
    assert kept.headers["X-Request-Id"] == "proxy-abc-123"
    replaced = client.get("/healthz", headers={"X-Request-Id": "<script> id"})
    assert replaced.headers["X-Request-Id"] != "<script> id"

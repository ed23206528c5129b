"""How the Elasticsearch client is built: credentials, TLS settings, and URLs safe to print.

The integ-test distribution cannot mint API keys, so the API-key path is checked here, where
the client is built: a stand-in HTTP server records the headers the real transport sends.
No Elasticsearch is needed for anything in this module.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.app import create_app
from api.config import Settings
from indexer.errors import StoreUnavailable
from indexer.settings import StoreSettings
from indexer.store.elasticsearch import ElasticsearchStore
from indexer.store.es_client import build_client, redact_url
from indexer.store.factory import open_store
from tests.conftest import fake_extract

PASSWORD = "S3cretPass"
LEAKY_URL = f"http://elastic:{PASSWORD}@127.0.0.1:9"  # port 9: nothing listens


class FakeElasticsearch:
    """Answers every request as a green Elasticsearch would, remembering each one's headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                recorded.append(
                    (self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                body = json.dumps({"status": "green", "acknowledged": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: pytest -W error runs with a clean stderr."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def authorizations(self) -> list[str | None]:
        return [headers.get("authorization") for _, _, headers in self.requests]


@pytest.fixture
def fake_es() -> Iterator[FakeElasticsearch]:
    fake = FakeElasticsearch()  # the socket listens from here on: no wait needed
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    fake.thread.join()


def _with_auth(url: str, userinfo: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{userinfo}@{rest}"


# -- redact_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:9200", "http://127.0.0.1:9200"),
        (LEAKY_URL, "http://***@127.0.0.1:9"),
        ("https://elastic@es.example:9200/", "https://***@es.example:9200/"),
        ("https://u%40x:p%40ss%3Aw@es.example:9200", "https://***@es.example:9200"),
        ("https://user:p@ss@[::1]:9200", "https://***@[::1]:9200"),  # unencoded @ in a password
        ("http://user:pw@[::1:9200", "<unparsable Elasticsearch URL>"),
    ],
)
def test_redact_url_removes_every_credential(url: str, shown: str) -> None:
    assert redact_url(url) == shown


# -- build_client -----------------------------------------------------------------------------


def test_an_encoded_api_key_is_sent_as_is(fake_es: FakeElasticsearch) -> None:
    encoded = base64.b64encode(b"key-id:key-secret").decode()
    build_client(fake_es.url, api_key=encoded).cluster.health()
    assert fake_es.authorizations() == [f"ApiKey {encoded}"]


def test_an_id_and_secret_api_key_is_encoded(fake_es: FakeElasticsearch) -> None:
    build_client(fake_es.url, api_key="key-id:key-secret").cluster.health()
    expected = base64.b64encode(b"key-id:key-secret").decode()
    assert fake_es.authorizations() == [f"ApiKey {expected}"]


def test_url_credentials_are_decoded_and_sent_as_basic_auth(fake_es: FakeElasticsearch) -> None:
    client = build_client(_with_auth(fake_es.url, "us%40er:p%3Ass%2Fw%25rd"))
    client.cluster.health()
    expected = base64.b64encode(b"us@er:p:ss/w%rd").decode()
    assert fake_es.authorizations() == [f"Basic {expected}"]


def test_no_credentials_send_no_authorization(fake_es: FakeElasticsearch) -> None:
    build_client(fake_es.url).cluster.health()
    assert fake_es.authorizations() == [None]


def test_api_key_and_url_credentials_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both") as caught:
        build_client(LEAKY_URL, api_key="abc")
    assert PASSWORD not in str(caught.value)


def test_ca_certs_need_an_https_url(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("not checked before https is\n")
    with pytest.raises(ValueError, match="not https") as caught:
        build_client(LEAKY_URL, ca_certs=ca)
    assert PASSWORD not in str(caught.value)


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        build_client("https://127.0.0.1:9200", ca_certs=tmp_path / "missing.crt")


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="http:// or https://") as caught:
        build_client(f"ftp://elastic:{PASSWORD}@127.0.0.1:9200")
    assert PASSWORD not in str(caught.value)


# -- settings and the store -------------------------------------------------------------------


def test_settings_read_the_key_and_ca_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORYRECORDS_ELASTICSEARCH_API_KEY", "key-id:key-secret")
    monkeypatch.setenv("STORYRECORDS_ELASTICSEARCH_CA_CERTS", "/etc/es/ca.crt")
    settings = StoreSettings.from_env()
    assert settings.elasticsearch_api_key == "key-id:key-secret"
    assert settings.elasticsearch_ca_certs == Path("/etc/es/ca.crt")
    assert "key-secret" not in repr(settings)
    monkeypatch.setenv("STORYRECORDS_ELASTICSEARCH_API_KEY", "")
    monkeypatch.setenv("STORYRECORDS_ELASTICSEARCH_CA_CERTS", "")
    settings = StoreSettings.from_env()
    assert settings.elasticsearch_api_key is None
    assert settings.elasticsearch_ca_certs is None


def test_the_configured_store_and_its_rebuilds_send_the_api_key(
    fake_es: FakeElasticsearch,
) -> None:
    settings = StoreSettings(elasticsearch_url=fake_es.url, elasticsearch_api_key="id:secret")
    store = open_store(settings)
    store.ping()
    rebuilt = store.begin_rebuild()
    rebuilt.ping()
    expected = f"ApiKey {base64.b64encode(b'id:secret').decode()}"
    assert len(fake_es.requests) >= 2
    assert set(fake_es.authorizations()) == {expected}
    rebuilt.close()
    store.close()


def test_an_unreachable_store_never_shows_the_password(caplog: pytest.LogCaptureFixture) -> None:
    store = ElasticsearchStore(LEAKY_URL, index="leak-check", timeout=2)
    with pytest.raises(StoreUnavailable) as caught:
        store.ping()
    error = caught.value
    assert "127.0.0.1:9" in str(error)  # the detail still says which server
    for text in (str(error), error.public_message(), "".join(traceback.format_exception(error))):
        assert PASSWORD not in text
        assert "elastic:" not in text
    assert PASSWORD not in store.url

    app = create_app(
        Settings(elasticsearch_url=LEAKY_URL), store=store, extractor=(fake_extract, "test-1")
    )
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        responses = [client.get("/readyz"), client.get("/v1/articles?q=geneva")]
    for response in responses:
        assert response.status_code == 503
        assert PASSWORD not in response.get_data(as_text=True)
        assert all(PASSWORD not in value for value in response.headers.values())
    assert "127.0.0.1:9" in caplog.text  # the log names the server ...
    assert PASSWORD not in caplog.text  # ... but never its password
    for record in caplog.records:
        if record.exc_info:
            assert PASSWORD not in "".join(traceback.format_exception(*record.exc_info))
    store.close()

"""The contract file, the docs page and the probes, as an SDK generator or operator sees them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from api.app import create_app
from api.config import Settings
from indexer.errors import StoreUnavailable
from indexer.store.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_yaml_is_what_the_app_serves(client: FlaskClient) -> None:
    served = client.get("/openapi.yaml")
    assert served.status_code == 200
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert served.get_data(as_text=True) == committed, (
        "openapi.yaml is out of date: run `storyrecords openapi > openapi.yaml`"
    )


def test_openapi_is_valid_and_documents_every_route(app: Flask) -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    validate(spec)
    documented = {
        (path, method.upper()) for path, ops in spec["paths"].items() for method in ops
        if method != "parameters"
    }
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
        and not rule.rule.startswith(("/docs", "/static", "/openapi"))
    }
    assert served == documented
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            assert op.get("summary") and op.get("description"), (path, method)
            errors = [code for code in op["responses"] if code.startswith(("4", "5"))]
            assert errors or "default" in op["responses"], (path, method)


def test_every_error_response_is_problem_json() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    for name, response in spec["components"]["responses"].items():
        assert list(response["content"]) == ["application/problem+json"], name


def test_docs_page_works_offline(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html, "docs must not load remote assets"
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert f"/docs/assets/{asset}" in html
        with client.get(f"/docs/assets/{asset}") as response:
            assert response.status_code == 200 and len(response.get_data()) > 1000


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready", "store": "embedded"}


class _DownStore(EmbeddedStore):
    """An embedded store whose database has gone away, as when a disk or server fails."""

    def ping(self) -> None:
        raise StoreUnavailable("disk unplugged at /srv/secret/path")

    def get_article(self, article_id: str):  # type: ignore[no-untyped-def]
        raise StoreUnavailable("disk unplugged at /srv/secret/path")

    def search_articles(self, query):  # type: ignore[no-untyped-def]
        raise StoreUnavailable("disk unplugged at /srv/secret/path")


def test_store_outage_is_503_with_retry_after_and_nothing_acknowledged(tmp_path: Path) -> None:
    from tests.conftest import fake_extract

    store = _DownStore(tmp_path / "s.sqlite3")
    key = store.keys().create("writer", ["write"])
    client = create_app(Settings(data_dir=tmp_path, retry_after_seconds=7), store=store,
                        extractor=(fake_extract, "t")).test_client()
    for response in (
        client.get("/readyz"),
        client.get("/v1/articles"),
        client.post("/v1/articles", json={"text": "Russia and NATO met."},
                    headers={"Authorization": f"Bearer {key}"}),
    ):
        assert response.status_code == 503
        assert response.mimetype == "application/problem+json"
        assert response.headers["Retry-After"] == "7"
        assert "retry" in response.get_json()["detail"].lower()
        assert "/srv/secret" not in response.get_data(as_text=True)  # no internals leak
    assert store.count_articles() == 0


def test_unreachable_elasticsearch_is_503_not_a_hang(tmp_path: Path) -> None:
    """A real client against a port nobody listens on: the outage path users will meet."""
    from indexer.store.elasticsearch import ElasticsearchStore
    from tests.conftest import fake_extract

    store = ElasticsearchStore("http://127.0.0.1:9", index="nowhere", timeout=2)
    app = create_app(
        Settings(data_dir=tmp_path, elasticsearch_url="http://127.0.0.1:9"),
        store=store,
        extractor=(fake_extract, "t"),
    )
    client = app.test_client()
    # A well-formed key: checking it needs the (unreachable) store, as writing does.
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer srk_0123456789ab_" + "k" * 43
    assert client.get("/healthz").status_code == 200
    for response in (
        client.get("/readyz"),
        client.get("/v1/articles?q=geneva"),
        client.get("/v1/events"),
        client.post("/v1/articles", json={"text": "Russia and NATO met."}),
        client.post(
            "/v1/articles/bulk",
            data='{"text": "Russia and NATO met."}\n',
            content_type="application/x-ndjson",
        ),
    ):
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0

"""What a browser on another origin, and a browser opening the docs, is told by every answer."""

from __future__ import annotations

import re
from dataclasses import replace

from flask.testing import FlaskClient

from api.app import create_app
from api.config import Settings
from indexer.store.embedded import EmbeddedStore
from tests.api.test_articles import GENEVA, assert_problem

ALLOWED = "http://app.example:5173"


def _cors_client(settings: Settings, store: EmbeddedStore) -> FlaskClient:
    allowed = replace(settings, cors_origins=(ALLOWED, "http://other.example"))
    return create_app(allowed, store=store).test_client()


def test_preflight_from_an_allowed_origin_is_answered(
    settings: Settings, store: EmbeddedStore
) -> None:
    client = _cors_client(settings, store)
    response = client.options("/v1/articles", headers={
        "Origin": ALLOWED,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    })
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_answers_to_an_allowed_origin_expose_the_headers_a_page_needs(
    settings: Settings, store: EmbeddedStore, write_key: str
) -> None:
    client = _cors_client(settings, store)
    response = client.post("/v1/articles", json=GENEVA, headers={
        "Origin": ALLOWED, "Authorization": f"Bearer {write_key}"})
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    listed = response.headers["Access-Control-Expose-Headers"]
    exposed = {h.strip().lower() for h in listed.split(",")}
    assert {"location", "retry-after", "ratelimit-limit", "ratelimit-remaining",
            "ratelimit-reset", "x-request-id"} <= exposed
    problem = client.get("/v1/articles?size=0", headers={"Origin": ALLOWED})
    assert problem.headers["Access-Control-Allow-Origin"] == ALLOWED, "errors are readable too"


def test_other_origins_get_no_cors_headers(settings: Settings, store: EmbeddedStore) -> None:
    client = _cors_client(settings, store)
    response = client.get("/v1/articles", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    default = create_app(settings, store=store).test_client()
    response = default.get("/v1/articles", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers, "empty allow-list by default"


def test_a_wildcard_never_comes_with_credentials(settings: Settings, store: EmbeddedStore) -> None:
    client = create_app(replace(settings, cors_origins=("*",)), store=store).test_client()
    response = client.get("/v1/articles", headers={"Origin": "http://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://any.example")
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_every_answer_says_nosniff_and_names_no_software(client: FlaskClient) -> None:
    for response in (client.get("/v1/articles"), client.get("/nope"), client.get("/docs"),
                     client.get("/openapi.yaml"), client.get("/healthz")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Server" not in response.headers
    assert "default-src 'none'" in client.get("/v1/articles").headers["Content-Security-Policy"]


def test_the_docs_page_has_a_policy_its_own_script_satisfies(client: FlaskClient) -> None:
    page = client.get("/docs")
    policy = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce, policy
    html = page.get_data(as_text=True)
    assert f'<script nonce="{nonce.group(1)}">' in html
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert client.get("/docs").headers["Content-Security-Policy"] != policy, "a nonce per page"


def test_an_untrusted_host_is_refused(settings: Settings, store: EmbeddedStore) -> None:
    client = create_app(settings, store=store).test_client()
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8080"}).status_code == 200
    assert_problem(client.get("/v1/articles", headers={"Host": "evil.example"}), 400)
    named = create_app(replace(settings, trusted_hosts=("api.example",)), store=store)
    assert named.test_client().get("/healthz", headers={"Host": "api.example"}).status_code == 200
    assert_problem(named.test_client().get("/healthz", headers={"Host": "localhost"}), 400)

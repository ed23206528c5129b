"""A client generated from openapi.yaml (openapi-python-client) searches and gets typed results."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from tests.api.test_articles import BERLIN, GENEVA

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    beside = Path(sys.executable).with_name("openapi-python-client")
    generator = str(beside) if beside.exists() else shutil.which("openapi-python-client")
    if generator is None:
        pytest.fail("openapi-python-client is a dev dependency; run scripts/setup.sh")
    out = tmp_path_factory.mktemp("sdk")
    subprocess.run(
        [generator, "generate", "--path", str(ROOT / "openapi.yaml"), "--meta", "none",
         "--config", str(Path(__file__).with_name("openapi-python-client.yaml")),
         "--output-path", str(out / "storyrecords_client")],
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("storyrecords_client")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.startswith("storyrecords_client")]:
            del sys.modules[name]


def test_generated_client_gets_typed_search_results(
    generated: Any, app: Flask, write_key: str
) -> None:
    """Methods are named after operationIds, and the bearer scheme gives the key a place."""
    client = generated.AuthenticatedClient(base_url="http://localhost", token=write_key)
    client.set_httpx_client(
        httpx.Client(
            base_url="http://localhost",
            transport=httpx.WSGITransport(app=app),
            headers={"Authorization": f"Bearer {write_key}"},
        )
    )
    post = importlib.import_module("storyrecords_client.api.articles.create_article")
    search = importlib.import_module("storyrecords_client.api.articles.search_articles")
    models = importlib.import_module("storyrecords_client.models")
    for body in (GENEVA, BERLIN):
        created = post.sync(client=client, body=models.ArticleIn.from_dict(body))
        assert isinstance(created, models.Article)

    page = search.sync(client=client, party=["org:nato"], size=5)
    assert isinstance(page, models.ArticleSearchResult)
    assert page.total == 1
    assert isinstance(page.hits[0], models.ArticleHit), "hits are partial records"
    assert page.hits[0].title == "Berlin meeting"
    assert isinstance(page.hits[0].text, generated.types.Unset), "lean by default"
    item = models.SearchArticlesFieldsItem
    full = search.sync(client=client, party=["org:nato"],
                       fields=[item("id"), item("text"), item("parties")])
    assert isinstance(full, models.ArticleSearchResult)
    assert full.hits[0].text.startswith("NATO officials") and full.hits[0].parties
    assert isinstance(full.hits[0].title, generated.types.Unset)
    assert [(b.value, b.count) for b in page.facets.source] == [("wire-b", 1)]

    problem = search.sync(client=client, size=1000)
    assert isinstance(problem, models.Problem)
    assert problem.status == 422

"""Lean answers: hits carry what `fields` asks for, bodies are gzipped, records have ETags."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from api.compression import MIN_SIZE
from api.docs import ASSETS
from api.fields import ARTICLE_DEFAULT, EVENT_DEFAULT
from tests.api.test_articles import BERLIN, GENEVA, assert_problem

#: Long enough that its record is worth compressing.
LONG_GENEVA = {**GENEVA, "text": GENEVA["text"] + " The delegations met again." * 60}


@pytest.fixture
def indexed(client: FlaskClient) -> dict[str, Any]:
    """Two articles of two events; returns the (long) Geneva record."""
    record: dict[str, Any] = client.post("/v1/articles", json=LONG_GENEVA).get_json()
    assert client.post("/v1/articles", json=BERLIN).status_code == 201
    return record


def test_search_hits_are_lean_by_default(client: FlaskClient, indexed: dict[str, Any]) -> None:
    hits = client.get("/v1/articles").get_json()["hits"]
    assert len(hits) == 2
    for hit in hits:
        assert set(hit) == set(ARTICLE_DEFAULT), "no text, no mention lists"
    events = client.get("/v1/events").get_json()["hits"]
    assert events and all(set(e) == set(EVENT_DEFAULT) for e in events)
    event_id = indexed["event_id"]
    members = client.get(f"/v1/events/{event_id}/articles").get_json()["hits"]
    assert [set(h) for h in members] == [set(ARTICLE_DEFAULT)]


def test_fields_chooses_what_a_hit_carries(client: FlaskClient, indexed: dict[str, Any]) -> None:
    hit = client.get("/v1/articles?q=geneva&fields=text,parties").get_json()["hits"][0]
    assert set(hit) == {"id", "text", "parties"}, "id always"
    assert hit["text"] == indexed["text"] and hit["parties"] == indexed["parties"]
    repeated = client.get("/v1/articles?q=geneva&fields=text&fields=parties").get_json()
    assert repeated["hits"][0] == hit, "repeated names work like a comma-separated list"
    every = ",".join(indexed)
    whole = client.get(f"/v1/articles?q=geneva&fields={every}").get_json()["hits"][0]
    assert whole == indexed, "all fields: the record as GET /v1/articles/{id} gives it"
    event = client.get("/v1/events?fields=conflicts,related").get_json()["hits"][0]
    assert set(event) == {"id", "conflicts", "related"}
    scoped = client.get(f"/v1/events/{indexed['event_id']}/articles?fields=source").get_json()
    assert scoped["hits"] == [{"id": indexed["id"], "source": "wire-a"}]


@pytest.mark.parametrize("value", ["colour", "id,colour", "", "id,,title", "Text"])
def test_unknown_fields_are_a_422(client: FlaskClient, value: str) -> None:
    for path in ("/v1/articles", "/v1/events", "/v1/events/e1/articles"):
        body = assert_problem(client.get(f"{path}?fields={value}"), 422)
        assert "fields" in body["errors"]["query"]


def test_fields_do_not_count_as_facet_filter_values(client: FlaskClient) -> None:
    every = ",".join((*ARTICLE_DEFAULT, "text", "parties", "venues", "places", "dates"))
    assert client.get(f"/v1/articles?fields={every}").status_code == 200


def test_hit_schemas_say_that_hits_are_partial(app: Flask) -> None:
    spec = yaml.safe_load(app.test_client().get("/openapi.yaml").get_data())
    schemas = spec["components"]["schemas"]
    for hit, record, result in (("ArticleHit", "Article", "ArticleSearchResult"),
                                ("EventHit", "Event", "EventSearchResult")):
        assert schemas[hit]["required"] == ["id"]
        assert set(schemas[hit]["properties"]) == set(schemas[record]["properties"])
        assert schemas[result]["properties"]["hits"]["items"]["$ref"].endswith(f"/{hit}")
    param = next(p for p in spec["paths"]["/v1/articles"]["get"]["parameters"]
                 if p["name"] == "fields")
    assert param["explode"] is False and param["style"] == "form"
    assert param["schema"]["default"] == list(ARTICLE_DEFAULT)
    assert ",".join(ARTICLE_DEFAULT) in param["description"]


def test_bodies_are_gzipped_when_the_client_accepts_it(
    client: FlaskClient, indexed: dict[str, Any]
) -> None:
    url = "/v1/articles?fields=id,text,parties,venues,places,dates,demands,facts"
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert int(zipped.headers["Content-Length"]) == len(zipped.get_data())
    assert len(zipped.get_data()) < len(plain.get_data())
    assert json.loads(gzip.decompress(zipped.get_data())) == plain.get_json()
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers, "small bodies are left alone"
    assert small.get_json()


def test_problem_bodies_stay_plain_problems(client: FlaskClient) -> None:
    """Only successful answers are compressed (flask-compress leaves every other status)."""
    body = b'{"title": "no text"}\n' * 60
    response = client.post("/v1/articles/bulk", data=body, content_type="application/x-ndjson",
                           headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "Content-Encoding" not in response.headers
    problem = response.get_json()
    assert problem["status"] == 422 and len(problem["results"]) == 60


def test_streamed_files_are_sent_as_they_are(client: FlaskClient) -> None:
    name = "swagger-ui-bundle.js"
    response = client.get(f"/docs/assets/{name}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == (Path(ASSETS) / name).read_bytes()
    response.close()
    contract = client.get("/openapi.yaml", headers={"Accept-Encoding": "gzip"})
    assert contract.headers["Content-Encoding"] == "gzip"
    assert yaml.safe_load(gzip.decompress(contract.get_data()))["openapi"]


def test_records_have_strong_etags_and_if_none_match_gives_304(
    client: FlaskClient, indexed: dict[str, Any]
) -> None:
    for path in (f"/v1/articles/{indexed['id']}", f"/v1/events/{indexed['event_id']}"):
        first = client.get(path)
        etag = first.headers["ETag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert client.get(path).headers["ETag"] == etag, "the same record, the same ETag"
        unchanged = client.get(path, headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and unchanged.get_data() == b""
        assert unchanged.headers["ETag"] == etag
        assert client.get(path, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
        assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        if len(first.get_data()) < MIN_SIZE:  # the event of this test is small: left alone
            assert "Content-Encoding" not in zipped.headers and zipped.headers["ETag"] == etag
            continue
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert zipped.headers["ETag"] == etag[:-1] + ':gzip"', "another coding, another ETag"
        again = client.get(path, headers={"Accept-Encoding": "gzip",
                                          "If-None-Match": zipped.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""
        stale = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert stale.status_code == 200
    assert len(client.get(f"/v1/articles/{indexed['id']}").get_data()) >= MIN_SIZE


def test_an_event_etag_changes_when_an_article_joins(
    client: FlaskClient, indexed: dict[str, Any]
) -> None:
    path = f"/v1/events/{indexed['event_id']}"
    before = client.get(path).headers["ETag"]
    joined = client.post("/v1/articles", json={**LONG_GENEVA, "source": "wire-c",
                                               "title": "Geneva talks ended"}).get_json()
    assert joined["event_id"] == indexed["event_id"]
    after = client.get(path, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    article = f"/v1/articles/{indexed['id']}"
    tag = client.get(article).headers["ETag"]
    assert client.delete(article).status_code == 204
    assert_problem(client.get(article, headers={"If-None-Match": tag}), 404)


def test_the_contract_documents_etags_and_304(app: Flask) -> None:
    spec = yaml.safe_load(app.test_client().get("/openapi.yaml").get_data())
    for path in ("/v1/articles/{article_id}", "/v1/events/{event_id}"):
        get = spec["paths"][path]["get"]
        assert "ETag" in get["responses"]["200"]["headers"]
        assert "ETag" in get["responses"]["304"]["headers"]
        assert any(p["name"] == "If-None-Match" for p in get["parameters"])

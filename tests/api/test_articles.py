"""The article resource over HTTP, as a front end or a curl user meets it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"

GENEVA = {
    "text": "Talks between Russia and the United States in Geneva ended without progress.",
    "title": "Geneva talks end",
    "source": "wire-a",
    "published_at": "2022-01-10",
}
BERLIN = {
    "text": "NATO officials met Russia's envoy in Berlin.",
    "title": "Berlin meeting",
    "source": "wire-b",
    "published_at": "2022-02-03T09:30:00+01:00",
}
NO_DATE = {"text": "NATO said nothing about Geneva.", "source": "wire-a"}


def post(client: FlaskClient, body: dict[str, Any]) -> Any:
    return client.post("/v1/articles", json=body)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_post_returns_stored_record_with_extracted_metadata(client: FlaskClient) -> None:
    response = post(client, GENEVA)
    assert response.status_code == 201
    record = response.get_json()
    assert response.headers["Location"] == f"/v1/articles/{record['id']}"
    assert record["title"] == "Geneva talks end"
    assert {p["id"] for p in record["parties"]} == {"country:RU", "country:US"}
    assert record["extractor_version"] == "test-1"
    mention = record["parties"][0]["mentions"][0]
    assert record["text"][mention["start"] : mention["end"]] == mention["text"]
    assert client.get(f"/v1/articles/{record['id']}").get_json() == record


def test_posting_the_same_article_twice_is_one_record(client: FlaskClient) -> None:
    first = post(client, GENEVA)
    second = post(client, GENEVA)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json() == second.get_json()
    assert client.get("/v1/articles").get_json()["total"] == 1


def test_client_id_reused_for_other_content_is_a_conflict(client: FlaskClient) -> None:
    assert post(client, {**GENEVA, "id": "story-1"}).status_code == 201
    body = assert_problem(post(client, {**BERLIN, "id": "story-1"}), 409)
    assert "story-1" in body["detail"]
    assert client.get("/v1/articles/story-1").get_json()["title"] == "Geneva talks end"


def test_delete_then_get_is_404(client: FlaskClient) -> None:
    article_id = post(client, GENEVA).get_json()["id"]
    assert client.delete(f"/v1/articles/{article_id}").status_code == 204
    assert_problem(client.get(f"/v1/articles/{article_id}"), 404)
    assert_problem(client.delete(f"/v1/articles/{article_id}"), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": 42}, "text"),
        ({"text": "x", "published_at": "yesterday"}, "published_at"),
        ({"text": "x", "url": "javascript:alert(1)"}, "url"),
        ({"text": "x", "id": "../etc/passwd"}, "id"),
        ({"text": "x", "colour": "red"}, "colour"),
    ],
)
def test_invalid_fields_are_422_with_field_errors(
    client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(post(client, body), 422)
    assert field in problem["errors"]["json"]
    assert field in problem["detail"]


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post("/v1/articles", data="{bad", content_type="application/json")
    assert "JSON" in assert_problem(response, 400)["detail"]


def test_json_that_is_not_an_object_is_422(client: FlaskClient) -> None:
    response = client.post("/v1/articles", data="[1, 2]", content_type="application/json")
    assert_problem(response, 422)


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/v1/articles", data="text=hello", content_type="text/plain")
    assert "application/json" in assert_problem(response, 415)["detail"]


def test_oversize_body_is_413_and_nothing_is_stored(client: FlaskClient) -> None:
    response = post(client, {"text": "word " * 20_000})
    assert_problem(response, 413)
    assert client.get("/v1/articles").get_json()["total"] == 0


def test_unknown_route_and_method_are_problems(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/nothing"), 404)
    response = client.put("/v1/articles")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_search_facets_count_with_the_other_facets_filters(client: FlaskClient) -> None:
    for body in (GENEVA, BERLIN, NO_DATE):
        post(client, body)
    everything = client.get("/v1/articles").get_json()
    assert everything["total"] == 3
    parties = {b["value"]: b["count"] for b in everything["facets"]["party"]}
    assert parties == {"country:RU": 2, "org:nato": 2, "country:US": 1}
    labels = {b["value"]: b["label"] for b in everything["facets"]["party"]}
    assert labels["country:US"] == "United States"

    only_nato = client.get("/v1/articles?party=org:nato").get_json()
    assert only_nato["total"] == 2
    # The party facet ignores its own selection, so other parties stay clickable ...
    assert {b["value"]: b["count"] for b in only_nato["facets"]["party"]} == parties
    # ... while the other facets are narrowed to NATO's articles.
    assert {b["value"]: b["count"] for b in only_nato["facets"]["source"]} == {
        "wire-a": 1,
        "wire-b": 1,
    }
    assert {b["value"] for b in everything["facets"]["month"]} == {"2022-01", "2022-02"}


def test_filters_or_within_a_facet_and_across_facets(client: FlaskClient) -> None:
    for body in (GENEVA, BERLIN, NO_DATE):
        post(client, body)

    def titles(query: str) -> set[str | None]:
        return {h["title"] for h in client.get(f"/v1/articles?{query}").get_json()["hits"]}

    assert titles("place=place:geneva-ch&place=place:berlin-de") == {
        "Geneva talks end",
        "Berlin meeting",
        None,
    }
    assert titles("place=place:geneva-ch&source=wire-a&party=country:US") == {"Geneva talks end"}
    assert titles("date_from=2022-02-03&date_to=2022-02-03") == {"Berlin meeting"}
    assert titles("date_to=2022-01-10") == {"Geneva talks end"}
    assert titles("q=geneva") == {"Geneva talks end", None}
    assert titles('q="without progress"') == {"Geneva talks end"}


def test_hostile_query_strings_are_plain_text(client: FlaskClient) -> None:
    post(client, GENEVA)
    for q in ['"', "AND OR NOT", "title:(x", "*", "NEAR(a b)", "a' OR 1=1 --", "\\", "^~"]:
        response = client.get("/v1/articles", query_string={"q": q})
        assert response.status_code == 200, q
    hit = client.get("/v1/articles", query_string={"q": "geneva) OR (x"}).get_json()
    assert hit["total"] == 0


def test_cursor_walks_every_article_once_while_new_ones_arrive(client: FlaskClient) -> None:
    for day in range(1, 8):
        post(client, {"text": f"Russia report {day}", "published_at": f"2022-03-0{day}"})
    seen: list[str] = []
    page = client.get("/v1/articles?size=3&sort=newest").get_json()
    seen += [h["published_at"] for h in page["hits"]]
    post(client, {"text": "Russia late news", "published_at": "2022-03-09"})
    while page["next_cursor"]:
        page = client.get(
            f"/v1/articles?size=3&sort=newest&cursor={page['next_cursor']}"
        ).get_json()
        seen += [h["published_at"] for h in page["hits"]]
    assert seen == [f"2022-03-0{d}" for d in range(7, 0, -1)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("size=0", "size"),
        ("size=101", "size"),
        ("size=ten", "size"),
        ("cursor=not-a-cursor", "cursor"),
        ("sort=random", "sort"),
        ("date_from=2022-13-01", "date_from"),
        ("date_from=2022-02-01&date_to=2022-01-01", "date_from"),
        ("page=2", "page"),
        ("offset=10000", "offset"),
    ],
)
def test_bad_search_parameters_are_422(client: FlaskClient, query: str, field: str) -> None:
    problem = assert_problem(client.get(f"/v1/articles?{query}"), 422)
    assert field in json.dumps(problem["errors"])


def test_cursor_from_another_search_is_rejected(client: FlaskClient) -> None:
    for day in range(1, 4):
        post(client, {"text": f"Russia report {day}", "published_at": f"2022-03-0{day}"})
    cursor = client.get("/v1/articles?size=1").get_json()["next_cursor"]
    response = client.get(f"/v1/articles?size=1&q=russia&cursor={cursor}")
    assert "different search" in assert_problem(response, 422)["detail"]


def test_bulk_reports_each_line_and_keeps_the_good_ones(client: FlaskClient) -> None:
    lines = [
        json.dumps(GENEVA),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps(GENEVA),
        "",
        json.dumps(BERLIN),
    ]
    response = client.post(
        "/v1/articles/bulk", data="\n".join(lines), content_type="application/x-ndjson"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "rejected",
        "rejected",
        "unchanged",
        "created",
    ]
    assert [r["line"] for r in body["results"]] == [1, 2, 3, 4, 6]
    assert "text" in body["results"][2]["errors"]
    assert (body["created"], body["unchanged"], body["rejected"]) == (2, 1, 2)
    assert client.get("/v1/articles").get_json()["total"] == 2


def test_bulk_needs_ndjson_and_some_lines(client: FlaskClient) -> None:
    assert_problem(client.post("/v1/articles/bulk", json=GENEVA), 415)
    empty = client.post("/v1/articles/bulk", data="\n\n", content_type="application/x-ndjson")
    assert_problem(empty, 400)


def test_bulk_with_only_bad_lines_is_422_with_per_line_results(client: FlaskClient) -> None:
    response = client.post(
        "/v1/articles/bulk", data='{"title": "x"}\n[1]\n', content_type="application/x-ndjson"
    )
    problem = assert_problem(response, 422)
    assert [r["status"] for r in problem["results"]] == ["rejected", "rejected"]

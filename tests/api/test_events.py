"""The event resource over HTTP: search, one event, its articles, redirects after merges."""

from __future__ import annotations

from flask.testing import FlaskClient

from indexer.store.embedded import EmbeddedStore
from tests.api.test_articles import BERLIN, GENEVA, assert_problem, post


def test_events_are_searchable_with_facets(client: FlaskClient) -> None:
    for body in (GENEVA, BERLIN):
        post(client, body)
    page = client.get("/v1/events").get_json()
    assert page["total"] == 2
    assert set(page["facets"]) == {
        "party", "venue", "source", "month", "demand_by", "demand_of", "type",
    }
    berlin = client.get("/v1/events?party=org:nato").get_json()
    assert [e["sources"] for e in berlin["hits"]] == [["wire-b"]]
    assert_problem(client.get("/v1/events?place=place:geneva-ch"), 422)  # not an event facet


def test_one_event_and_its_articles(client: FlaskClient) -> None:
    article = post(client, GENEVA).get_json()
    event = client.get(f"/v1/events/{article['event_id']}").get_json()
    assert event["articles"] == [article["id"]]
    assert "signature" not in event  # matching internals stay inside
    members = client.get(f"/v1/events/{article['event_id']}/articles").get_json()
    assert [a["id"] for a in members["hits"]] == [article["id"]]
    assert_problem(client.get("/v1/events/e-nothing"), 404)
    assert_problem(client.get("/v1/events/e-nothing/articles"), 404)


def test_merged_event_answers_301_with_the_survivor(
    client: FlaskClient, store: EmbeddedStore
) -> None:
    kept = post(client, GENEVA).get_json()["event_id"]
    gone = post(client, BERLIN).get_json()["event_id"]
    _, version = store.get_event(gone)
    store.retire_event(gone, kept, version=version)

    response = client.get(f"/v1/events/{gone}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/v1/events/{kept}"
    assert response.get_json()["moved_to"] == kept
    articles = client.get(f"/v1/events/{gone}/articles")
    assert articles.status_code == 301
    assert articles.headers["Location"] == f"/v1/events/{kept}/articles"


def test_deleting_the_last_article_removes_its_event(client: FlaskClient) -> None:
    article = post(client, GENEVA).get_json()
    assert client.delete(f"/v1/articles/{article['id']}").status_code == 204
    assert_problem(client.get(f"/v1/events/{article['event_id']}"), 404)
    assert client.get("/v1/events").get_json()["total"] == 0

"""Stories over HTTP: each event belongs to one, which lists its timeline."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.test_articles import BERLIN, GENEVA, assert_problem, post


def test_events_belong_to_stories_that_list_their_timeline(client: FlaskClient) -> None:
    geneva = post(client, GENEVA).get_json()
    post(client, BERLIN)
    event = client.get(f"/v1/events/{geneva['event_id']}").get_json()
    assert event["story_id"]
    assert "previous" in event and "next" in event
    stories = client.get("/v1/stories").get_json()
    assert stories["total"] >= 1
    assert {b["value"] for b in stories["facets"]["party"]} >= {"country:RU"}
    story = client.get(f"/v1/stories/{event['story_id']}")
    assert story.status_code == 200
    body = story.get_json()
    entry = next(e for e in body["events"] if e["event_id"] == event["id"])
    assert entry["article_count"] == 1 and entry["title"] == event["title"]
    assert "signature" not in body
    again = client.get(f"/v1/stories/{event['story_id']}",
                       headers={"If-None-Match": story.headers["ETag"]})
    assert again.status_code == 304


def test_story_search_is_faceted_and_lean(client: FlaskClient) -> None:
    post(client, GENEVA)
    found = client.get("/v1/stories", query_string={"q": "Geneva", "fields": "id,title"})
    assert found.status_code == 200
    hits = found.get_json()["hits"]
    assert hits and set(hits[0]) == {"id", "title"}
    assert_problem(client.get("/v1/stories?fields=nonsense"), 422)
    assert_problem(client.get("/v1/stories?colour=red"), 422)


def test_an_unknown_story_is_a_404(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/stories/s-missing"), 404)

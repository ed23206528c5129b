"""Syndicated copies over HTTP: ``duplicate_of``, counted once in events, left out on request."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.api.test_articles import assert_problem, post

SENTENCES = [
    "Negotiators from Russia and the United States left Geneva on Monday without an agreement.",
    "The talks lasted nearly eight hours and both delegations called them frank and useful.",
    "Washington rejected proposals that would bar Ukraine from ever joining NATO.",
    "Moscow repeated that its demands on security guarantees were not open to bargaining.",
    "Diplomats said the atmosphere inside the mission was tense but never hostile.",
    "A second round between NATO and Russia is planned in Brussels on Wednesday.",
    "Officials from the OSCE will meet in Vienna on Thursday to continue the discussion.",
    "Analysts warned that the troop build-up near the border had not eased at all.",
    "Markets in Europe fell slightly after the news, with energy shares leading losses.",
    "Neither side announced a date for further meetings beyond this week in Geneva.",
]
ORIGINAL = {"text": "\n".join(SENTENCES), "title": "Geneva talks end without a deal",
            "source": "wire", "published_at": "2022-01-10"}
COPY = {  # re-headlined, cut at the end, wrapped in the reprinting site's furniture
    "text": "\n".join(["Home | News | World | Business | Sport", "By Staff Reporter",
                       *SENTENCES[:7], "Sign up for our daily newsletter.",
                       "Related stories", "Quake shakes the coast overnight"]),
    "title": "No breakthrough as Russia and US meet",
    "source": "daily-reprint",
    "published_at": "2022-01-10",
}
OTHER = {  # same parties, a different story: not a copy
    "text": "An earthquake of magnitude 6.1 struck off the coast of Indonesia early on Friday, "
            "damaging homes in three villages. Rescue teams from Jakarta reached the area by "
            "noon and reported dozens of injuries but no deaths. Russia and NATO members sent "
            "messages of support while the local government opened shelters in schools and "
            "mosques for families whose houses were no longer safe to enter after aftershocks.",
    "title": "Quake shakes the coast",
    "source": "other-wire",
}


def _ids(page: dict[str, Any]) -> list[str]:
    return sorted(hit["id"] for hit in page["hits"])


def test_a_copy_points_at_its_original_and_joins_its_event(client: FlaskClient) -> None:
    original = post(client, ORIGINAL).get_json()
    copy = post(client, COPY).get_json()
    other = post(client, OTHER).get_json()
    assert original["duplicate_of"] is None and other["duplicate_of"] is None
    assert copy["duplicate_of"] == original["id"]
    assert copy["event_id"] == original["event_id"] != other["event_id"]
    assert "signature" not in copy  # a matching internal, not served


def test_events_count_a_copy_once(client: FlaskClient) -> None:
    original = post(client, ORIGINAL).get_json()
    copy = post(client, COPY).get_json()
    event = client.get(f"/v1/events/{original['event_id']}").get_json()
    assert event["articles"] == [original["id"], copy["id"]]  # listed, with its provenance
    assert event["sources"] == ["wire"]  # but adds no source...
    assert {p["id"]: p["article_count"] for p in event["parties"]}["country:RU"] == 1
    assert all(p["articles"] == [original["id"]] for p in event["parties"])  # ...nor counts
    events = client.get("/v1/events").get_json()
    assert events["total"] == 1  # no second event for the same story
    assert events["facets"]["source"] == [{"value": "wire", "label": "wire", "count": 1}]
    parties = {b["value"]: b["count"] for b in events["facets"]["party"]}
    assert parties["country:RU"] == 1


def test_article_search_includes_copies_unless_asked_not_to(client: FlaskClient) -> None:
    original = post(client, ORIGINAL).get_json()
    copy = post(client, COPY).get_json()
    other = post(client, OTHER).get_json()
    everything = client.get("/v1/articles").get_json()
    assert _ids(everything) == sorted([original["id"], copy["id"], other["id"]])
    assert client.get("/v1/articles?duplicates=include").get_json() == everything
    once = client.get("/v1/articles?duplicates=exclude&facet_size=100").get_json()
    assert _ids(once) == sorted([original["id"], other["id"]]) and once["total"] == 2
    assert {b["value"] for b in once["facets"]["source"]} == {"wire", "other-wire"}
    russia = {b["value"]: b["count"] for b in once["facets"]["party"]}["country:RU"]
    assert russia == 2  # the copy's Russia is not counted
    in_event = client.get(f"/v1/events/{original['event_id']}/articles?duplicates=exclude")
    assert _ids(in_event.get_json()) == [original["id"]]
    problem = assert_problem(client.get("/v1/articles?duplicates=maybe"), 422)
    assert "duplicates" in problem["errors"]["query"]


def test_cursor_pages_keep_excluding_copies(client: FlaskClient) -> None:
    original = post(client, ORIGINAL).get_json()
    post(client, COPY)
    other = post(client, OTHER).get_json()
    first = client.get("/v1/articles?duplicates=exclude&size=1").get_json()
    cursor = first["next_cursor"]
    second = client.get(f"/v1/articles?duplicates=exclude&size=1&cursor={cursor}").get_json()
    assert sorted(_ids(first) + _ids(second)) == sorted([original["id"], other["id"]])
    assert second["next_cursor"] is None
    assert_problem(client.get(f"/v1/articles?size=1&cursor={cursor}"), 422)  # another search


def test_a_copy_of_a_copy_points_at_the_earliest(client: FlaskClient) -> None:
    original = post(client, ORIGINAL).get_json()
    post(client, COPY)
    again = dict(COPY, title="Talks in Geneva fail", source="third-site",
                 text=COPY["text"].replace("By Staff Reporter", "From our wire desk"))
    assert post(client, again).get_json()["duplicate_of"] == original["id"]


def test_deleting_the_original_leaves_the_copy_counted(client: FlaskClient) -> None:
    original = post(client, ORIGINAL).get_json()
    copy = post(client, COPY).get_json()
    assert client.delete(f"/v1/articles/{original['id']}").status_code == 204
    event = client.get(f"/v1/events/{copy['event_id']}").get_json()
    assert event["articles"] == [copy["id"]] and event["sources"] == ["daily-reprint"]

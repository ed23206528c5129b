"""What a new user trips on: every field validated as a whole string, stored in one form.

Each case here was seen when tried as a new user would: texts pasted with leading blank
lines, ids with a trailing newline, real language tags, loose dates, invisible text.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.test_articles import assert_problem, post


def test_a_text_beginning_with_blank_lines_is_accepted_and_offsets_point_into_it(
    client: FlaskClient,
) -> None:
    response = post(client, {"text": "\n\n  Russia and NATO met in Geneva.\n"})
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    for party in record["parties"]:
        for mention in party["mentions"]:
            assert record["text"][mention["start"]:mention["end"]] == mention["text"]


@pytest.mark.parametrize("bad_id", ["abc\n", "abc\r\n", " abc", "bulk", "a b", "é1"])
def test_an_id_must_match_as_a_whole(client: FlaskClient, bad_id: str) -> None:
    body = assert_problem(post(client, {"text": "Russia and NATO met.", "id": bad_id}), 422)
    assert "id" in body["errors"]["json"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [("en", "en"), ("EN-gb", "en-GB"), ("zh-hant", "zh-Hant"), ("es-419", "es-419"),
     ("zh-Hant-TW", "zh-Hant-TW")],
)
def test_language_tags_are_bcp47_stored_in_canonical_case(
    client: FlaskClient, given: str, stored: str
) -> None:
    response = post(client, {"text": f"Russia and NATO met ({given}).", "language": given})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["language"] == stored


@pytest.mark.parametrize("bad", ["english", "en-", "123", "en\n", "x" * 70])
def test_a_language_that_is_not_a_tag_is_a_422(client: FlaskClient, bad: str) -> None:
    body = assert_problem(post(client, {"text": "Russia and NATO met.", "language": bad}), 422)
    assert "language" in body["errors"]["json"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [("2022-01-11", "2022-01-11"), ("2022-01-11T09:30:00+01:00", "2022-01-11T09:30:00+01:00"),
     ("2022-01-11t09:30:00z", "2022-01-11T09:30:00Z"),
     ("2022-01-11T09:30:00.123456789-05:00", "2022-01-11T09:30:00.123456-05:00")],
)
def test_publication_times_are_rfc3339_stored_in_one_form(
    client: FlaskClient, given: str, stored: str
) -> None:
    response = post(client, {"text": f"Russia and NATO met ({given}).", "published_at": given})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["published_at"] == stored


@pytest.mark.parametrize(
    "bad",
    ["20220111", " 2022-01-11 ", "2022-W02", "2022-01-11T09:30:00", "2022-02-30",
     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"],
)
def test_other_publication_times_are_a_422(client: FlaskClient, bad: str) -> None:
    body = assert_problem(post(client, {"text": "Russia met.", "published_at": bad}), 422)
    assert "published_at" in body["errors"]["json"]


@pytest.mark.parametrize(
    "body",
    [{"text": "\u200b"}, {"text": " \n\t "}, {"text": "Talks \ud800"},
     {"text": "Russia met.", "source": "   "}, {"text": "Russia met.", "title": "T\udfff"}],
)
def test_invisible_or_broken_text_is_a_422(client: FlaskClient, body: dict[str, Any]) -> None:
    assert_problem(post(client, body), 422)


def test_source_and_title_are_stored_with_their_whitespace_normalised(
    client: FlaskClient,
) -> None:
    response = post(client, {"text": "Russia and NATO met.", "source": "  reuters  ",
                             "title": "Talks\n  in Geneva "})
    assert response.status_code == 201
    record = response.get_json()
    assert (record["source"], record["title"]) == ("reuters", "Talks in Geneva")


@pytest.mark.parametrize("date", ["9999-12-31", "0000-01-01", "2022-13-01"])
def test_date_filters_out_of_range_are_a_422(client: FlaskClient, date: str) -> None:
    for path in ("/v1/articles", "/v1/events"):
        assert_problem(client.get(f"{path}?date_to={date}"), 422)


def test_demands_name_their_parties_as_objects() -> None:
    from indexer.models import Article, Demand, Mention, Party
    from indexer.records import article_json

    text = "Russia demanded that the United States withdraw its troops."
    article = Article(
        id="a1", text=text, content_hash="h", extractor_version="t", indexed_at="x",
        parties=(Party("country:RU", "Russia", "country", (Mention(0, 6, "Russia"),)),
                 Party("country:US", "United States", "country")),
        demands=(Demand("country:RU", "country:US", "withdraw troops", "demand", "demand",
                        Mention(0, len(text), text)),),
    )
    (demand,) = article_json(article)["demands"]
    assert demand["claimant"] == {"id": "country:RU", "name": "Russia", "kind": "country"}
    assert demand["addressee"] == {"id": "country:US", "name": "United States",
                                   "kind": "country"}


def test_a_text_that_cleans_to_nothing_is_a_clear_422(tmp_path: Any) -> None:
    from api.app import create_app
    from api.config import Settings
    from indexer.models import ArticleInput, Extraction
    from indexer.store.embedded import EmbeddedStore

    def furniture_only(item: ArticleInput) -> Extraction:
        return Extraction(text="")  # what clean_text makes of "Advertisement"

    store = EmbeddedStore(tmp_path / "s.sqlite3")
    key = store.keys().create("t", ["write"])
    client = create_app(Settings(data_dir=tmp_path), store=store,
                        extractor=(furniture_only, "t")).test_client()
    response = client.post("/v1/articles", json={"text": "Advertisement"},
                           headers={"Authorization": f"Bearer {key}"})
    body = assert_problem(response, 422)
    assert "article-like" in body["detail"]
    assert store.count_articles() == 0

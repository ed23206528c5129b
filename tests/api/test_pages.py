"""A web page over the API: ``{"html", "url"}`` or a ``text/html`` body, and its clear errors."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from api.config import Settings
from indexer.models import ArticleInput, Extraction
from indexer.store.embedded import EmbeddedStore
from tests.api.test_articles import assert_problem, post
from tests.conftest import SHARED, fake_extract, require_shared

FIXTURES = Path(__file__).resolve().parents[1] / "web" / "fixtures"
ARTICLE = (FIXTURES / "article.html").read_text(encoding="utf-8")
ITALIAN = (FIXTURES / "article-it.html").read_text(encoding="utf-8")
URL = "https://herald.example/world/2022/01/10/geneva-talks"
ENGLISH_ONLY = ["parties", "dates", "venues", "places", "demands", "facts"]


def test_a_page_is_stored_with_what_it_says_about_itself(client: FlaskClient) -> None:
    response = post(client, {"html": ARTICLE, "url": URL})
    assert response.status_code == 201, response.get_data(as_text=True)
    record = response.get_json()
    assert record["text"].startswith("Negotiators from Russia and the United States")
    assert "More stories" not in record["text"] and "Share this" not in record["text"]
    assert record["title"] == "Geneva talks end without a deal"
    assert record["source"] == "Example Herald"  # the site name, as the client gave none
    assert record["published_at"] == "2022-01-10T18:30:00+01:00"
    assert record["url"] == URL
    assert (record["language"], record["language_source"]) == ("en-GB", "meta")
    assert record["skipped_steps"] == [] and record["parties"]  # English: every step ran
    page = record["page"]
    assert page["url"] == URL and page["canonical_url"] == URL
    assert page["sha256"] == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert page["bytes"] == len(ARTICLE.encode())
    assert page["authors"] == ["Ana Lima", "Tom Reed"]
    assert page["html"] is None  # only the hash, unless the server keeps pages
    assert page["sources"] == {
        "title": "json-ld", "authors": "json-ld", "published_at": "json-ld",
        "canonical_url": "meta", "site_name": "meta", "language": "meta", "source": "meta",
        "url": "client",
    }
    assert client.get(f"/v1/articles/{record['id']}").get_json() == record
    again = post(client, {"html": ARTICLE, "url": URL})
    assert again.status_code == 200 and again.get_json() == record


def test_fields_the_client_sends_win_over_the_page(client: FlaskClient) -> None:
    record = post(client, {"html": ARTICLE, "url": URL, "source": "wire", "title": "Mine",
                           "published_at": "2022-01-11"}).get_json()
    assert (record["source"], record["title"], record["published_at"]) == (
        "wire", "Mine", "2022-01-11")
    assert {record["page"]["sources"][f] for f in ("source", "title", "published_at")} == {
        "client"}


def test_the_page_date_is_what_relative_dates_resolve_against(
    settings: Settings, store: EmbeddedStore
) -> None:
    seen: list[ArticleInput] = []

    def extract(item: ArticleInput) -> Extraction:
        seen.append(item)
        return fake_extract(item)

    app = create_app(settings, store=store, extractor=(extract, "t"))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {store.keys().create('t', ['write'])}"
    assert post(client, {"html": ARTICLE}).status_code == 201
    (item,) = seen
    assert item.published_at == "2022-01-10T18:30:00+01:00" and item.title


def test_url_is_optional_and_the_site_name_still_fills_source(client: FlaskClient) -> None:
    record = post(client, {"html": ARTICLE}).get_json()
    assert record["source"] == "Example Herald"
    assert record["url"] is None and record["page"]["url"] is None  # its canonical is relative
    assert "url" not in record["page"]["sources"]


def test_a_text_html_body_takes_its_fields_as_query_parameters(client: FlaskClient) -> None:
    body = (FIXTURES / "cp1252.html").read_bytes()
    response = client.post(f"/v1/articles?url={URL}&source=herald", data=body,
                           content_type="text/html; charset=windows-1252")
    assert response.status_code == 201, response.get_data(as_text=True)
    record = response.get_json()
    assert record["source"] == "herald" and record["url"] == URL
    assert "\ufffd" not in record["text"] and record["page"]["sha256"] == hashlib.sha256(
        body).hexdigest()
    zipped = client.post("/v1/articles?source=gz", data=gzip.compress(ARTICLE.encode()),
                         content_type="text/html")
    assert zipped.status_code == 201
    assert zipped.get_json()["page"]["sha256"] == hashlib.sha256(ARTICLE.encode()).hexdigest()


def test_query_parameters_are_refused_with_a_json_body(client: FlaskClient) -> None:
    problem = assert_problem(client.post(f"/v1/articles?url={URL}", json={"html": ARTICLE}),
                             422)
    assert "url" in problem["errors"]["query"]


def test_text_and_html_together_or_neither_is_a_422(client: FlaskClient) -> None:
    both = assert_problem(post(client, {"text": "Some text.", "html": ARTICLE}), 422)
    assert "html" in both["errors"]["json"]
    neither = assert_problem(post(client, {"title": "Only a title"}), 422)
    assert "text" in neither["errors"]["json"]


@pytest.mark.parametrize("field", ["page", "duplicate_of", "skipped_steps", "language_source",
                                   "signature"])
def test_a_client_cannot_send_what_only_the_server_derives(client: FlaskClient,
                                                            field: str) -> None:
    forged: dict[str, Any] = {"sha256": "0" * 64, "sources": {"title": "json-ld"}}
    for body in ({"text": "Russia met NATO in Geneva.", field: forged},
                 {"html": ARTICLE, field: forged}):
        problem = assert_problem(post(client, body), 422)
        assert problem["errors"]["json"][field] == ["Unknown field."]
    bulk = client.post("/v1/articles/bulk", data=json.dumps(
        {"text": "Russia met NATO.", field: forged}) + "\n", content_type="application/x-ndjson")
    assert_problem(bulk, 422)
    assert client.get("/v1/articles").get_json()["total"] == 0


@pytest.mark.parametrize("name, words", [
    ("index.html", "no article"), ("notfound.html", "error page"),
])
def test_a_page_without_an_article_is_a_clear_422(client: FlaskClient, name: str,
                                                  words: str) -> None:
    html = (FIXTURES / name).read_text(encoding="utf-8")
    problem = assert_problem(post(client, {"html": html, "url": "https://herald.example/"}), 422)
    assert problem["type"] == "/problems/not-an-article"
    assert words in problem["detail"] and problem["errors"]["json"]["html"]
    assert client.get("/v1/articles").get_json()["total"] == 0


@pytest.mark.parametrize("body, words", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "PDF"),
    (b"\x00\x01\x02\x03" * 100, "binary"),
    (b"Just a line of plain text, no markup at all.", "no HTML markup"),
    (b"<html><body><p>" + bytes(range(0x80, 0x100)) * 40 + b"</p></body></html>",
     "encoding garbage"),
])
def test_what_is_not_a_readable_page_is_a_clear_422(client: FlaskClient, body: bytes,
                                                    words: str) -> None:
    problem = assert_problem(client.post("/v1/articles", data=body, content_type="text/html"),
                             422)
    assert problem["type"] == "/problems/not-a-page" and words in problem["detail"]
    assert problem["errors"]["body"]["html"]


def test_a_page_over_the_limit_after_decompression_is_a_413(
    settings: Settings, store: EmbeddedStore
) -> None:
    small = Settings(data_dir=settings.data_dir, max_body_bytes=64_000, max_page_bytes=20_000)
    client = create_app(small, store=store, extractor=(fake_extract, "t")).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {store.keys().create('t', ['write'])}"
    bomb = gzip.compress(b"<html><body><p>" + b"a " * 1_000_000 + b"</p></body></html>")
    assert len(bomb) < 20_000
    problem = assert_problem(client.post("/v1/articles", data=bomb, content_type="text/html"),
                             413)
    assert "after decompression" in problem["detail"]
    padded = ARTICLE.replace("</body>", "<!--" + "x" * 30_000 + "--></body>")
    assert_problem(post(client, {"html": padded}), 413)  # a JSON string counts as well
    assert_problem(client.post("/v1/articles", data=b"<p>" * 10_000, content_type="text/html"),
                   413)  # the body itself is over the page limit


def test_the_server_can_keep_the_page_itself(settings: Settings, store: EmbeddedStore) -> None:
    keeping = Settings(data_dir=settings.data_dir, store_html=True)
    client = create_app(keeping, store=store, extractor=(fake_extract, "t")).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {store.keys().create('t', ['write'])}"
    assert post(client, {"html": ARTICLE, "url": URL}).get_json()["page"]["html"] == ARTICLE


# -- not English ---------------------------------------------------------------------------


def test_a_non_english_page_is_stored_searchable_and_says_which_steps_did_not_run(
    client: FlaskClient,
) -> None:
    record = post(client, {"html": ITALIAN, "url": "https://cronaca.example/mondo/ginevra"}
                  ).get_json()
    assert (record["language"], record["language_source"]) == ("it", "text")  # page: no lang
    assert record["skipped_steps"] == ENGLISH_ONLY
    # the text names "Russia" and "NATO", which the (English) extractor would have found
    assert "Russia" in record["text"] and "NATO" in record["text"]
    assert record["parties"] == record["places"] == record["dates"] == record["venues"] == []
    assert record["source"] == "Cronaca Esempio"
    found = client.get("/v1/articles?q=negoziatori ginevra").get_json()
    assert [h["id"] for h in found["hits"]] == [record["id"]]
    assert found["facets"]["party"] == []


def test_a_non_english_text_is_recognised_by_what_the_client_says_or_by_detection(
    client: FlaskClient,
) -> None:
    said = post(client, {"text": "Russland und die NATO trafen sich in Genf.",
                         "language": "de"}).get_json()
    assert (said["language"], said["language_source"]) == ("de", "client")
    assert said["skipped_steps"] == ENGLISH_ONLY and said["parties"] == []
    italian = post(client, {"text": _italian_text()}).get_json()
    assert (italian["language"], italian["language_source"]) == ("it", "text")
    assert italian["parties"] == []
    korean = post(client, {"text": "러시아와 NATO 대표단이 제네바에서 만났다."}).get_json()
    assert (korean["language"], korean["language_source"]) == ("ko", "text")  # by its script
    short = post(client, {"text": "Russia e NATO a Ginevra."}).get_json()  # too short to tell
    assert (short["language"], short["language_source"]) == ("en", "default")
    english = post(client, {"text": "Russia met NATO in Geneva. " * 12}).get_json()
    assert (english["language"], english["skipped_steps"]) == ("en", [])
    assert english["parties"]


def _italian_text() -> str:
    from indexer.web.page import extract_page

    return extract_page(ITALIAN).text


AEB = SHARED / "eval" / "aeb"


@pytest.mark.parametrize("prefix, language", [
    ("0ec95c7261d122f3", "ko"), ("23aaecd14171f96c", "pt"), ("21486419bb109c5a", "id"),
])
def test_real_non_english_pages_from_the_benchmark(client: FlaskClient, prefix: str,
                                                   language: str) -> None:
    folder = require_shared(AEB / "html", "the AEB pages")
    (path,) = folder.glob(f"{prefix}*.html.gz")
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    url = truth[path.name.split(".")[0]]["url"]
    response = client.post("/v1/articles", query_string={"url": url}, data=path.read_bytes(),
                           content_type="text/html")
    assert response.status_code == 201, response.get_data(as_text=True)
    record = response.get_json()
    assert record["language"].split("-")[0] == language
    assert record["skipped_steps"] == ENGLISH_ONLY and record["parties"] == []
    assert record["page"]["sha256"] and record["url"] == url
    word = max(record["text"].split()[:40], key=len).strip(".,:;!?\"'()[]")
    found = client.get("/v1/articles", query_string={"q": word}).get_json()
    assert record["id"] in [h["id"] for h in found["hits"]]


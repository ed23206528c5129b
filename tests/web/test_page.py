"""One page in, the article and what the page says about itself out; bad pages refused."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from indexer.errors import Unprocessable
from indexer.web.errors import BadPage, NotAnArticle, PageTooLarge
from indexer.web.page import extract_page
from indexer.web.records import PAGE_KEY, page_data

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://herald.example/world/2022/01/10/geneva-talks?ref=home"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_article_text_keeps_paragraphs_and_drops_the_page_around_it() -> None:
    page = extract_page(_fixture("article.html"), URL)
    lines = page.text.split("\n")
    assert lines[0].startswith("Negotiators from Russia and the United States left Geneva")
    assert len(lines) == 5
    for furniture in ("Home", "Sign up", "More stories", "Markets slip", "All rights reserved",
                      "Geneva talks end without a deal", "By Ana Lima"):
        assert furniture not in page.text


def test_the_page_says_who_wrote_it_when_and_where_each_claim_comes_from() -> None:
    data = page_data(extract_page(_fixture("article.html"), URL))
    assert data["title"] == "Geneva talks end without a deal"
    assert data["published_at"] == "2022-01-10T18:30:00+01:00"
    assert data["source"] == "Example Herald"
    assert data["language"] == "en-GB"
    assert data["url"] == URL
    page = data[PAGE_KEY]
    assert page["canonical_url"] == "https://herald.example/world/2022/01/10/geneva-talks"
    assert page["authors"] == ["Ana Lima", "Tom Reed"]
    assert page["sha256"] == hashlib.sha256(_fixture("article.html")).hexdigest()
    assert page["sources"] == {"title": "json-ld", "authors": "json-ld",
                               "published_at": "json-ld", "canonical_url": "meta",
                               "site_name": "meta", "source": "meta", "language": "meta",
                               "url": "client"}


def test_what_the_client_says_wins_over_the_page() -> None:
    data = page_data(extract_page(_fixture("article.html"), URL),
                     {"source": "wire", "published_at": "2022-01-11"})
    assert (data["source"], data["published_at"]) == ("wire", "2022-01-11")
    assert data[PAGE_KEY]["sources"]["source"] == "client"


def test_a_page_that_does_not_say_its_language_gets_it_detected() -> None:
    data = page_data(extract_page(_fixture("article-pt.html")))
    assert data["language"] == "pt"
    assert data[PAGE_KEY]["sources"]["language"] == "text"
    assert data["published_at"] == "2019-11-19T09:15:00-03:00"
    assert data[PAGE_KEY]["authors"] == ["Maria Souza"]
    assert "Defesa Civil" in data["text"] and "Contato" not in data["text"]


def test_a_declared_legacy_charset_is_honoured() -> None:
    page = extract_page(_fixture("cp1252.html"))
    assert "caf\u00e9 owners" in page.text and "\u201cna\u00efve\u201d" in page.text
    assert "\ufffd" not in page.text


def test_the_url_date_is_used_when_the_page_has_none() -> None:
    html = _fixture("cp1252.html").replace(b"<title>", b"<title>x ")
    page = extract_page(html, "https://news.example/2021/03/04/cafe-rules")
    assert page.meta.published_at is not None
    assert (page.meta.published_at.value, page.meta.published_at.source) == ("2021-03-04", "url")


def test_gzipped_pages_are_read() -> None:
    assert extract_page(gzip.compress(_fixture("article.html")), URL).text.startswith(
        "Negotiators")


@pytest.mark.parametrize(("name", "words"), [("index.html", "index page|no article text"),
                                             ("notfound.html", "error page")])
def test_pages_without_an_article_are_a_clear_error(name: str, words: str) -> None:
    with pytest.raises(NotAnArticle, match=words) as caught:
        extract_page(_fixture(name))
    assert isinstance(caught.value, Unprocessable) and caught.value.field == "html"


@pytest.mark.parametrize(("raw", "words"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG image"),
    (b"%PDF-1.7\n" + bytes(100), "PDF"),
    (bytes(range(256)) * 20, "binary"),
    (b"Just some plain text, no markup at all. " * 20, "no HTML markup"),
    (b'{"text": "json is not a page"}', "no HTML markup"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', "feed"),
    (b"<html><body><p>" + bytes(range(0x80, 0x100)) * 40 + b"</p></body></html>",
     "encoding garbage"),
])
def test_bad_pages_get_clear_errors(raw: bytes, words: str) -> None:
    with pytest.raises(BadPage, match=words):
        extract_page(raw)


def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip.compress(b"<html><body>" + b" " * 50_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(PageTooLarge, match="after decompression"):
        extract_page(bomb, max_bytes=1_000_000)


def test_an_oversized_page_is_refused() -> None:
    with pytest.raises(PageTooLarge):
        extract_page("<html><body>" + "<p>word</p>" * 200_000, max_bytes=1_000_000)

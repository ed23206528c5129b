"""``storyrecords index`` of pages, web archives and feeds, and ``follow``, into a store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import cli
from indexer.models import Article
from indexer.store.embedded import EmbeddedStore
from indexer.store.query import SearchQuery
from tests.conftest import fake_extract
from tests.web.server import serve
from tests.web.warcs import written_by_warcio

FIXTURES = Path(__file__).resolve().parents[1] / "web" / "fixtures"
ARTICLE = (FIXTURES / "article.html").read_bytes()
ITALIAN = (FIXTURES / "article-it.html").read_bytes()
GENEVA_URL = "https://herald.example/world/2022/01/10/geneva-talks"
ENGLISH_ONLY = ("parties", "dates", "venues", "places", "demands", "facts")


@pytest.fixture(autouse=True)
def _no_nlp(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI behaviour, not NLP: the fake extractor stands in for spaCy."""
    monkeypatch.setattr("indexer.ingest.default_extractor", lambda: (fake_extract, "test-1"))


def _index(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, ["--data-dir", str(data), "index", "--no-progress",
                                           *args])
    return result.exit_code, result.output


def _stored(data: Path) -> dict[str | None, Article]:
    store = EmbeddedStore(data / "storyrecords.sqlite3")
    try:
        return {a.url: a for a in store.iter_articles()}
    finally:
        store.close()


def test_a_web_archive_is_indexed_with_each_page_and_its_provenance(tmp_path: Path) -> None:
    warc = tmp_path / "crawl.warc.gz"
    warc.write_bytes(written_by_warcio([
        (GENEVA_URL, "text/html; charset=utf-8", ARTICLE),
        ("https://herald.example/style.css", "text/css", b"body{}"),
        ("https://cronaca.example/mondo/ginevra", "text/html", ITALIAN),
        ("https://herald.example/world", "text/html", (FIXTURES / "index.html").read_bytes()),
    ]))
    code, output = _index(tmp_path / "data", str(warc))
    assert code == 1  # the index page is reported, the rest stored
    assert "indexed 2, unchanged 0, rejected 1" in output
    assert "crawl.warc.gz@" in output and "https://herald.example/world" in output
    stored = _stored(tmp_path / "data")
    geneva, italian = stored[GENEVA_URL], stored["https://cronaca.example/mondo/ginevra"]
    assert geneva.title == "Geneva talks end without a deal"
    assert geneva.source == "Example Herald" and geneva.published_at == (
        "2022-01-10T18:30:00+01:00")
    assert geneva.page is not None and geneva.page.url == GENEVA_URL
    assert geneva.page.sha256 == hashlib.sha256(ARTICLE).hexdigest()
    assert geneva.page.authors == ("Ana Lima", "Tom Reed")
    assert geneva.page.sources["title"] == "json-ld" and geneva.page.html is None
    assert geneva.parties and geneva.skipped_steps == ()
    assert (italian.language, italian.language_source) == ("it", "text")
    assert italian.skipped_steps == ENGLISH_ONLY and italian.parties == ()
    again_code, again = _index(tmp_path / "data", str(warc))
    assert "indexed 0, unchanged 2, rejected 1" in again and again_code == 1


def test_a_feed_file_is_indexed_and_an_unfetchable_link_is_reported(tmp_path: Path) -> None:
    atom = (FIXTURES / "feed.atom").read_text(encoding="utf-8")
    first = atom[:atom.index("  <entry>", atom.index("</entry>"))]
    with serve() as site:  # a link to this machine: refused without --allow-private
        site.page("/news/private", ARTICLE)
        feed = tmp_path / "world.atom"
        feed.write_text(first + f"""  <entry>
    <id>tag:herald.example,2022:private</id>
    <title>Behind the firewall</title>
    <link href="{site.url('/news/private')}"/>
  </entry>
</feed>
""", encoding="utf-8")
        code, output = _index(tmp_path / "data", str(feed))
        assert site.requests == []
    assert code == 1 and "indexed 1, unchanged 0, rejected 1" in output
    assert "loopback, private or link-local" in output
    (article,) = _stored(tmp_path / "data").values()
    assert article.url == GENEVA_URL  # the entry's relative link, resolved against the feed
    assert article.title == "Geneva talks end without a deal"
    assert article.source == "Example Herald: World"
    assert article.page is not None and article.page.sources["title"] == "feed"
    assert article.page.authors == ("Ana Lima",) and article.page.sha256 is None


def test_html_files_with_and_without_keeping_the_page(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "geneva.html").write_bytes(ARTICLE)
    code, _ = _index(tmp_path / "kept", "--store-html", str(tmp_path / "in"))
    assert code == 0
    (kept,) = _stored(tmp_path / "kept").values()
    assert kept.page is not None and kept.page.html == ARTICLE.decode("utf-8")
    code, _ = _index(tmp_path / "hashed", str(tmp_path / "in"))
    (hashed,) = _stored(tmp_path / "hashed").values()
    assert hashed.page is not None and hashed.page.html is None and hashed.page.sha256


def test_a_json_file_cannot_forge_a_page_but_may_carry_html(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "forged.json").write_text(json.dumps(
        {"text": "Russia met NATO in Geneva.", "page": {"sha256": "0" * 64}}))
    (folder / "page.json").write_text(json.dumps(
        {"html": ARTICLE.decode("utf-8"), "url": GENEVA_URL, "source": "mine"}))
    code, output = _index(tmp_path / "data", str(folder))
    assert code == 1 and "indexed 1, unchanged 0, rejected 1" in output
    assert "forged.json" in output and "Unknown field" in output
    (article,) = _stored(tmp_path / "data").values()
    assert article.source == "mine" and article.page is not None
    assert article.page.sources["source"] == "client"


def test_follow_stores_the_pages_of_a_feed(tmp_path: Path) -> None:
    with serve() as site:
        site.page("/news/geneva", ARTICLE, etag='"g1"')
        site.page("/news/ginevra", ITALIAN)
        site.page("/feed.xml", (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
            f"<item><guid>g</guid><title>Geneva</title><link>{site.url('/news/geneva')}</link>"
            "</item>"
            f"<item><guid>i</guid><title>Ginevra</title><link>{site.url('/news/ginevra')}</link>"
            "</item></channel></rss>"), kind="application/rss+xml")
        result = CliRunner().invoke(cli.main, [
            "--data-dir", str(tmp_path / "data"), "follow", "--once", "--allow-private",
            "--delay", "0", "--timeout", "2", site.url("/feed.xml")])
    assert result.exit_code == 0, result.output
    stored = _stored(tmp_path / "data")
    geneva = stored[site.url("/news/geneva")]
    assert geneva.page is not None and geneva.page.feed == site.url("/feed.xml")
    assert geneva.page.etag == '"g1"' and geneva.page.sha256 == hashlib.sha256(
        ARTICLE).hexdigest()
    assert geneva.source == "Example Herald" and geneva.parties
    italian = stored[site.url("/news/ginevra")]
    assert italian.language == "it" and italian.skipped_steps == ENGLISH_ONLY
    store = EmbeddedStore(tmp_path / "data" / "storyrecords.sqlite3")
    try:
        hits = store.search_articles(SearchQuery(q="negoziatori")).hits
    finally:
        store.close()
    assert [a.id for a in hits] == [italian.id]

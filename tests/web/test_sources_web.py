"""``storyrecords index`` input: pages, archives and feeds on disk become article records."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

from indexer.intake import load_input
from indexer.sources import read_sources
from indexer.web.fetch import Fetcher, Policy
from indexer.web.records import PAGE_KEY
from tests.web.server import serve
from tests.web.warcs import written_by_warcio

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = (FIXTURES / "article.html").read_bytes()


def assert_valid_article_input(data: dict[str, Any]) -> None:
    """Every field but the page provenance already passes the API's article validation."""
    load_input({k: v for k, v in data.items() if k != PAGE_KEY})


def test_html_files_plain_and_gzipped(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "article.html", tmp_path / "a.html")
    (tmp_path / "b.htm.gz").write_bytes(gzip.compress((FIXTURES / "article-pt.html").read_bytes()))
    shutil.copy(FIXTURES / "index.html", tmp_path / "c.html")
    records = list(read_sources([tmp_path], {"source": "disk", "published_at": "2020-01-01"}))
    a, b, c = records
    assert a.data["title"] == "Geneva talks end without a deal"
    for found in (a, b):
        assert_valid_article_input(found.data)
    assert a.data["source"] == "Example Herald"  # the page names its site: the default only fills
    assert "url" not in a.data  # its canonical link is relative, and a file has no address
    assert b.data["language"] == "pt" and b.data["source"] == "disk"
    assert b.data[PAGE_KEY]["sources"]["source"] == "client"
    assert c.error is not None and ("index page" in c.error or "no article" in c.error)


def test_a_warc_gives_one_record_per_html_response(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(written_by_warcio([
        ("https://herald.example/world/2022/01/10/geneva-talks", "text/html", ARTICLE),
        ("https://herald.example/style.css", "text/css", b"body{}"),
        ("https://herald.example/world", "text/html", (FIXTURES / "index.html").read_bytes()),
    ]))
    good, index = list(read_sources([path]))
    assert good.error is None
    assert good.data["url"] == "https://herald.example/world/2022/01/10/geneva-talks"
    assert good.data[PAGE_KEY]["sha256"]
    assert index.error is not None and "https://herald.example/world" in index.origin


def test_feed_items_are_fetched_when_reachable_and_reported_when_not(tmp_path: Path) -> None:
    with serve() as site:
        site.page("/news/geneva", ARTICLE)
        feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'
                f"<item><title>Geneva</title><link>{site.url('/news/geneva')}</link></item>"
                f"<item><title>Gone</title><link>{site.url('/news/gone')}</link></item>"
                "</channel></rss>")
        (tmp_path / "news.xml").write_text(feed, encoding="utf-8")
        (tmp_path / "other.xml").write_text("<?xml version='1.0'?><svg/>", encoding="utf-8")
        fetcher = Fetcher(Policy(allow_private=True, host_delay=0.0))
        fetched, gone = list(read_sources([tmp_path], fetcher=fetcher))  # other.xml: no feed
        (other,) = read_sources([tmp_path / "other.xml"])  # named explicitly: reported
    assert fetched.data["url"] == site.url("/news/geneva")
    assert_valid_article_input(fetched.data)
    assert fetched.data["text"].startswith("Negotiators from Russia")
    assert gone.error is not None and "unreachable" in gone.error and "404" in gone.error
    assert other.error == "not an RSS or Atom feed"


def test_feed_items_with_full_text_need_no_fetch(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "feed.atom", tmp_path / "world.atom")
    def no_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        raise OSError("no network in tests")

    fetcher = Fetcher(Policy(host_delay=0.0), resolver=no_dns)
    full, link_only = list(read_sources([tmp_path / "world.atom"], fetcher=fetcher))
    assert full.data["title"] == "Geneva talks end without a deal"
    assert full.data["published_at"] == "2022-01-10T18:30:00+01:00"
    assert full.data["language"] == "en"
    assert link_only.error is not None and link_only.error.startswith("unreachable")

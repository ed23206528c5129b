"""RSS and Atom feeds read safely: items, links resolved, and entity tricks refused."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from indexer.web.errors import BadFeed
from indexer.web.feeds import html_to_text, looks_like_feed, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"


def test_rss_items_with_links_resolved_and_dates_normalised() -> None:
    feed = parse_feed((FIXTURES / "feed.rss").read_bytes(), "https://herald.example/rss")
    assert (feed.title, feed.language) == ("Example Herald", "en-GB")
    first, second = feed.items
    assert first.key == "geneva-1"
    assert first.published_at == "2022-01-10T17:30:00Z"
    assert first.authors == ("Ana Lima",)
    assert not first.has_full_text
    assert second.link == "https://herald.example/world/2022/01/10/markets"
    assert second.key == second.link


def test_atom_entries_carry_their_full_text_as_paragraphs() -> None:
    feed = parse_feed((FIXTURES / "feed.atom").read_bytes(), "https://herald.example/atom")
    geneva, markets = feed.items
    assert geneva.has_full_text
    assert geneva.text.split("\n")[0].startswith("Negotiators from Russia")
    assert len(geneva.text.split("\n")) == 3
    assert geneva.link == "https://herald.example/world/2022/01/10/geneva-talks"
    assert markets.published_at == "2022-01-10T12:00:00Z"
    assert feed.language == "en"


def test_a_changed_item_gets_a_new_fingerprint() -> None:
    raw = (FIXTURES / "feed.rss").read_bytes()
    before = parse_feed(raw).items[0].fingerprint
    after = parse_feed(raw.replace(b"with no deal", b"with no deal, again")).items[0]
    assert after.fingerprint != before and after.key == "geneva-1"


def test_gzipped_feeds_are_read() -> None:
    assert len(parse_feed(gzip.compress((FIXTURES / "feed.rss").read_bytes())).items) == 2


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rss version="2.0"><channel><title>&d;</title></channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&secret;</title></channel></rss>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL])
def test_entity_declarations_are_refused(document: bytes) -> None:
    with pytest.raises(BadFeed, match="entities"):
        parse_feed(document)


def test_undeclared_entities_stay_unexpanded() -> None:
    doc = b"""<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">
<rss version="2.0"><channel><title>t</title><item><title>x &amp; y</title>
<link>https://a.example/1</link></item></channel></rss>"""
    feed = parse_feed(doc)
    assert feed.items[0].title == "x & y"


@pytest.mark.parametrize(("document", "words"), [
    (b"<rss><channel><item>", "well-formed"),
    (b"<html><body>hi</body></html>", "not an RSS or Atom feed"),
    (b"<rss version='2.0'></rss>", "channel"),
])
def test_bad_feeds_are_clear_errors(document: bytes, words: str) -> None:
    with pytest.raises(BadFeed, match=words):
        parse_feed(document)


def test_feed_sniffing_and_html_fragments() -> None:
    assert looks_like_feed((FIXTURES / "feed.atom").read_bytes())
    assert not looks_like_feed(b"<?xml version='1.0'?><svg/>")
    assert html_to_text("<p>One <b>two</b></p><script>x()</script><p>Three</p>") == \
        "One two\nThree"

"""Web archives: the HTML responses come out; other records, bombs and damage are reported."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import pytest

from indexer.web.errors import BadArchive
from indexer.web.warc import MAX_LINE, read_warc
from tests.web.warcs import gzipped, http, record, written_by_warcio

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = (FIXTURES / "article.html").read_bytes()


@pytest.mark.parametrize("gz", [True, False])
def test_html_responses_written_by_warcio_are_read(gz: bool) -> None:
    data = written_by_warcio([("https://herald.example/a", "text/html; charset=utf-8", ARTICLE),
                              ("https://herald.example/logo.png", "image/png", b"\x89PNG"),
                              ("https://herald.example/b", "text/html", b"<html>b</html>")],
                             gz=gz)
    pages = list(read_warc(io.BytesIO(data)))
    assert [(p.url, p.error) for p in pages] == [("https://herald.example/a", None),
                                                ("https://herald.example/b", None)]
    assert pages[0].html == ARTICLE and pages[0].charset == "utf-8"


def test_chunked_and_compressed_bodies_are_undone() -> None:
    body = gzip.compress(b"<html><body>hello</body></html>")
    chunked = b"%x\r\n" % 10 + body[:10] + b"\r\n" + b"%x\r\n" % (len(body) - 10) + body[10:] \
        + b"\r\n0\r\n\r\n"
    block = http(chunked, headers=b"Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n")
    (page,) = read_warc(io.BytesIO(record(block)))
    assert page.html == b"<html><body>hello</body></html>"


def test_error_responses_and_other_records_are_skipped() -> None:
    data = (record(http(b"gone", status="404 Not Found")) + record(b"meta", kind="metadata")
            + record(http(b"<html>ok</html>")))
    assert [p.html for p in read_warc(io.BytesIO(data))] == [b"<html>ok</html>"]


def test_a_payload_bomb_is_one_reported_record_and_reading_goes_on() -> None:
    bomb = gzipped(record(http(b" " * 3_000_000)), record(http(b"<html>after</html>")))
    assert len(bomb) < 50_000
    pages = list(read_warc(io.BytesIO(bomb), max_bytes=1_000_000))
    assert "larger than the limit" in (pages[0].error or "")
    assert pages[1].html == b"<html>after</html>"


def test_a_content_encoding_bomb_inside_a_record_is_reported() -> None:
    inner = zlib.compress(b"<html>" + b" " * 5_000_000, 9)
    block = http(inner, headers=b"Content-Encoding: deflate\r\n")
    (page,) = read_warc(io.BytesIO(record(block)), max_bytes=1_000_000)
    assert page.error is not None and "after decompression" in page.error


def test_a_header_line_bomb_is_a_clear_error() -> None:
    bomb = gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nX: " + b"a" * 50_000_000)
    with pytest.raises(BadArchive, match=f"longer than {MAX_LINE}"):
        list(read_warc(io.BytesIO(bomb)))


@pytest.mark.parametrize(("data", "words"), [
    (b"not a warc at all\r\n", "not a WARC record"),
    (record(http(b"<html></html>"), length=10_000), "ends inside a record"),
    (record(b"x").replace(b"Content-Length: 1", b"Content-Length: x"), "Content-Length"),
    (gzip.compress(record(http(b"<html></html>")))[:-20], "not a readable WARC"),
])
def test_damaged_archives_are_clear_errors(data: bytes, words: str) -> None:
    with pytest.raises(BadArchive, match=words):
        list(read_warc(io.BytesIO(data)))

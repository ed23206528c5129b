"""Hostile sizes: every step's work grows linearly with its input (N vs 4N, generous margin).

A linear step takes about 4x as long on 4x the input; a quadratic one 16x. Each check counts
CPU time (not wall time), takes the best of three interleaved runs per size and fails only
above 10x, so a busy machine does not flake it.
"""

from __future__ import annotations

import gzip
import io
import json
import time
from collections.abc import Callable

import pytest

from indexer.dedup import signature
from indexer.errors import Unprocessable
from indexer.language import detect_language
from indexer.web.decode import decode_html
from indexer.web.feeds import parse_feed
from indexer.web.limits import inflate
from indexer.web.page import extract_page
from indexer.web.warc import read_warc
from tests.web.warcs import http, record

RATIO = 10.0


def _cpu(run: Callable[[], object]) -> float:
    """CPU seconds of this process for one run: other jobs on the machine do not count."""
    started = time.process_time()
    run()
    return time.process_time() - started


def assert_linear(make: Callable[[int], object], step: Callable[[object], object], n: int
                  ) -> None:
    small, large = make(n), make(4 * n)
    step(small)  # warm caches and imports
    small_times, large_times = [], []
    for _ in range(3):  # interleaved, so both sizes see the same machine
        small_times.append(_cpu(lambda: step(small)))
        large_times.append(_cpu(lambda: step(large)))
    ratio = min(large_times) / max(min(small_times), 1e-4)
    assert ratio < RATIO, f"4x the input took {ratio:.1f}x as long"


def _article(paragraphs: int) -> bytes:
    body = "".join(f"<p>Paragraph {i} of the report says the talks in Geneva went on for hours "
                   f"and that both sides will meet again in Vienna next week {i}.</p>"
                   for i in range(paragraphs))
    return (f"<html><head><title>Report</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Report</h1>{body}</article></body></html>").encode()


def _links(count: int) -> bytes:
    items = "".join(f"<li><a href='/s/{i}'>Story number {i} about the talks in Geneva</a></li>"
                    for i in range(count))
    text = "".join(f"<p>Body paragraph {i} with enough words to count as article text.</p>"
                   for i in range(20))
    return f"<html><body><article>{text}<ul>{items}</ul></article></body></html>".encode()


def _nested(depth: int) -> bytes:
    text = "<p>" + "Some words about the meeting in Geneva. " * 30 + "</p>"
    return ("<html><body>" + "<div>" * depth + text + "</div>" * depth
            + "</body></html>").encode()


def _json_ld(objects: int) -> bytes:
    graph = json.dumps({"@graph": [{"@type": "Thing", "name": f"n{i}", "author": {"name": "x"}}
                                   for i in range(objects)]})
    return _article(30).replace(b"</head>", f'<script type="application/ld+json">{graph}'
                                f"</script></head>".encode())


@pytest.mark.parametrize(("make", "n"), [(_article, 250), (_links, 300), (_nested, 2000),
                                         (_json_ld, 2000)],
                         ids=["paragraphs", "links", "nesting", "json-ld"])
def test_page_extraction_is_linear(make: Callable[[int], bytes], n: int) -> None:
    def extract(html: bytes) -> object:
        try:
            return extract_page(html)
        except Unprocessable:  # deep nesting is cut by the parser: no article, quickly
            return None

    assert_linear(make, extract, n)  # type: ignore[arg-type]


def test_decoding_is_linear() -> None:
    assert_linear(lambda n: _article(n).replace(b"<html>", b"<html>\xe9"),
                  lambda raw: decode_html(raw), 2000)  # type: ignore[arg-type]


def test_feed_parsing_is_linear() -> None:
    def feed(n: int) -> bytes:
        items = "".join(f"<item><title>t{i}</title><link>https://a.example/{i}</link>"
                        f"<description>&lt;p&gt;words {i}&lt;/p&gt;</description></item>"
                        for i in range(n))
        return f"<rss version='2.0'><channel><title>x</title>{items}</channel></rss>".encode()

    assert_linear(feed, lambda raw: parse_feed(raw), 250)  # type: ignore[arg-type]


def test_archive_reading_is_linear() -> None:
    def warc(n: int) -> bytes:
        one = record(http(b"<html><body>" + b"x" * 2000 + b"</body></html>"))
        return gzip.compress(one * n)

    assert_linear(warc, lambda raw: list(read_warc(io.BytesIO(raw))), 500)  # type: ignore[arg-type]


def test_decompression_is_linear() -> None:
    assert_linear(lambda n: gzip.compress(b"abc" * n), lambda raw: inflate(raw, 10**9),  # type: ignore[arg-type]
                  2_000_000)


def test_signatures_and_language_are_linear() -> None:
    words = lambda n: " ".join(f"word{i % 977} talks" for i in range(n))  # noqa: E731
    assert_linear(words, lambda text: signature(text), 5000)  # type: ignore[arg-type]
    assert_linear(words, lambda text: detect_language(text), 20000)  # type: ignore[arg-type]


def test_a_page_whose_main_text_is_over_the_extraction_cap_is_refused() -> None:
    paragraphs = "".join(f"<p>Talks number {i} in Geneva between Russia and NATO went on all day "
                         "and into the night.</p>" for i in range(25_000))
    page = f"<html><head><title>Long</title></head><body><article>{paragraphs}</article>"
    with pytest.raises(Unprocessable, match=r"main text is too long.*up to 2,000,000") as caught:
        extract_page(page + "</body></html>")
    assert caught.value.field == "html"

"""Pages, web archives and feeds on disk as :class:`~indexer.sources.SourceRecord` s.

Called by :func:`indexer.sources.read_sources` for ``.html``/``.htm`` (and ``.gz``),
``.warc``/``.warc.gz`` and ``.rss``/``.atom``/``.xml`` files. Every failure becomes a record
with an ``error``, so ``storyrecords index`` reports it and goes on with the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexer.errors import IndexerError
from indexer.sources import SourceRecord
from indexer.web.errors import FetchError
from indexer.web.feeds import Feed, FeedItem, looks_like_feed, parse_feed
from indexer.web.fetch import Fetcher
from indexer.web.limits import MAX_FEED_BYTES, MAX_PAGE_BYTES, maybe_inflate, read_capped
from indexer.web.page import extract_page
from indexer.web.records import PAGE_KEY, feed_item_data, page_data
from indexer.web.warc import read_warc


def _read(path: Path, limit: int) -> bytes:
    """The file's bytes, decompressed when gzipped, never more than ``limit`` of either."""
    with path.open("rb") as handle:
        return maybe_inflate(read_capped(handle, limit), limit)


def read_page_file(path: Path, *, keep_html: bool = False) -> SourceRecord:
    """One HTML file (maybe gzipped) as a record; its URL is the page's canonical one, if any."""
    try:
        page = extract_page(_read(path, MAX_PAGE_BYTES))
    except (OSError, IndexerError) as exc:
        return SourceRecord(str(path), {}, _reason(exc))
    return SourceRecord(str(path), page_data(page, keep_html=keep_html), trusted=True)


def read_archive_file(path: Path, *, keep_html: bool = False) -> Iterator[SourceRecord]:
    """Each HTML response record of a WARC file; unusable records are reported, not skipped."""
    try:
        with path.open("rb") as handle:
            for record in read_warc(handle):
                origin = f"{path}@{record.offset}" + (f" ({record.url})" if record.url else "")
                if record.error is not None:
                    yield SourceRecord(origin, {}, record.error)
                    continue
                try:
                    page = extract_page(record.html, record.url, charset=record.charset)
                except IndexerError as exc:
                    yield SourceRecord(origin, {}, _reason(exc))
                    continue
                yield SourceRecord(origin, page_data(page, keep_html=keep_html), trusted=True)
    except (OSError, IndexerError) as exc:
        yield SourceRecord(str(path), {}, _reason(exc))


def read_feed_file(path: Path, fetchers: list[Fetcher]) -> Iterator[SourceRecord]:
    """Each item of an RSS/Atom file: its own full text, else the page its link points to.

    ``fetchers`` holds the one fetcher of this run (created on first need, then reused so
    robots.txt and per-host delays carry over between items).
    """
    try:
        data = _read(path, MAX_FEED_BYTES)
        if not looks_like_feed(data):
            yield SourceRecord(str(path), {}, "not an RSS or Atom feed")
            return
        feed = parse_feed(data)
    except (OSError, IndexerError) as exc:
        yield SourceRecord(str(path), {}, _reason(exc))
        return
    for number, item in enumerate(feed.items, start=1):
        origin = f"{path}#{number}" + (f" ({item.link})" if item.link else "")
        if not fetchers and not item.has_full_text and item.link:
            fetchers.append(Fetcher())
        yield item_record(origin, item, feed, None, fetchers[0] if fetchers else None)


def item_record(origin: str, item: FeedItem, feed: Feed, feed_url: str | None,
                fetcher: Fetcher | None, *, etag: str | None = None,
                last_modified: str | None = None) -> SourceRecord:
    """A feed item as a record: from the feed when it has the full text, else its fetched page.

    ``etag``/``last_modified`` make the page fetch conditional; a 304 is reported as the
    error ``not modified`` (nothing to index).
    """
    if item.has_full_text or not item.link:
        if not item.text.strip():
            return SourceRecord(origin, {}, "the feed item has neither text nor a link")
        return SourceRecord(origin, feed_item_data(item, feed, feed_url), trusted=True)
    if fetcher is None:
        return SourceRecord(origin, {}, f"not fetched: {item.link}")
    try:
        response = fetcher.get(item.link, etag=etag, last_modified=last_modified)
        if response.not_modified:
            return SourceRecord(origin, {}, "not modified")
        page = extract_page(response.body, response.url, charset=response.charset)
    except FetchError as exc:
        return SourceRecord(origin, {}, f"unreachable: {exc}")
    except IndexerError as exc:
        return SourceRecord(origin, {}, _reason(exc))
    data = page_data(page)
    _fill_from_item(data, item, feed, feed_url)
    data[PAGE_KEY]["etag"] = response.etag
    data[PAGE_KEY]["last_modified"] = response.last_modified
    return SourceRecord(origin, data, trusted=True)


def _fill_from_item(data: dict[str, Any], item: FeedItem, feed: Feed, feed_url: str | None
                    ) -> None:
    """Fields the page left out, taken from its feed entry."""
    sources = data[PAGE_KEY]["sources"]
    for name, value in (("title", item.title), ("published_at", item.published_at),
                        ("source", feed.title), ("language", feed.language)):
        if value and name not in data:
            data[name] = value
            sources[name] = "feed"
    data[PAGE_KEY]["feed"] = feed_url
    if not data[PAGE_KEY].get("authors"):
        data[PAGE_KEY]["authors"] = list(item.authors)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read file: {exc.strerror or exc}"
    return str(exc)

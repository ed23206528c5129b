"""Article input fields from a page or a feed item, with the ``page`` provenance beside them.

The fields carry the names of the API's article input (``text``, ``title``, ``url``,
``source``, ``published_at``, ``language``), so a page takes the same validate-and-ingest
path as a client's JSON. What the page said about itself goes under :data:`PAGE_KEY`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from indexer.language import detect_language
from indexer.sources import PAGE_KEY
from indexer.web.feeds import Feed, FeedItem
from indexer.web.page import PAGE_EXTRACTOR, Page

ARTICLE_FIELDS = ("title", "url", "source", "published_at", "language")
__all__ = ["ARTICLE_FIELDS", "PAGE_KEY", "feed_item_data", "page_data"]


def page_data(page: Page, given: Mapping[str, str | None] | None = None, *,
              keep_html: bool = False) -> dict[str, Any]:
    """Article fields from a page; a field in ``given`` (from the client) wins over the page's.

    ``url`` is the address the page was read from, else its canonical URL; ``source`` is the
    site name. ``page.sources`` names where each field came from, ``client`` for given ones.
    ``keep_html`` keeps the page itself under ``page.html``.
    """
    m = page.meta
    found = {
        "title": m.title,
        "url": None,
        "source": m.site_name,
        "published_at": m.published_at,
        "language": m.language,
    }
    provenance = page.provenance()
    sources: dict[str, str] = {}
    data: dict[str, Any] = {"text": page.text}
    for name, value in found.items():
        if value is not None:
            data[name] = value.value
            sources[name] = value.source
    url = page.url or (m.canonical_url.value if m.canonical_url else None)
    if url:
        data["url"] = url
        sources["url"] = "client" if page.url else "meta"
    for name, client_value in (given or {}).items():
        if name in ARTICLE_FIELDS and client_value is not None:
            data[name] = client_value
            sources[name] = "client"
    provenance["sources"] = {**provenance["sources"], **sources}
    if keep_html:
        provenance["html"] = page.html
    data[PAGE_KEY] = provenance
    return data


def feed_item_data(item: FeedItem, feed: Feed, feed_url: str | None) -> dict[str, Any]:
    """Article fields from a feed item that carries its full text (no page fetched)."""
    data: dict[str, Any] = {"text": item.text}
    sources: dict[str, str] = {}
    for name, value in (("title", item.title), ("url", item.link),
                        ("source", feed.title), ("published_at", item.published_at),
                        ("language", feed.language)):
        if value:
            data[name] = value
            sources[name] = "feed"
    if "language" not in data:
        detected = detect_language(item.text)
        if detected:
            data["language"] = detected
            sources["language"] = "text"
    data[PAGE_KEY] = {
        "url": item.link,
        "feed": feed_url,
        "authors": list(item.authors),
        "extractor": PAGE_EXTRACTOR,
        "sources": sources,
    }
    return data

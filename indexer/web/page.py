"""One HTML page in, the article and what the page says about itself out.

:func:`extract_page` is the entry point for the API's ``{"html": …, "url": …}`` input, for
``.html`` files and WARC records, and for pages fetched by ``storyrecords follow``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import trafilatura
from lxml.html import HtmlElement

from indexer.language import detect_language
from indexer.web.body import check_article, main_text
from indexer.web.decode import check_is_html, decode_html
from indexer.web.errors import BadPage, PageTooLarge
from indexer.web.limits import MAX_PAGE_BYTES, maybe_inflate
from indexer.web.metadata import PageMeta, Sourced, read_metadata

#: Version of the page-extraction rules; stored with the page provenance.
PAGE_EXTRACTOR = f"trafilatura-{trafilatura.__version__}+storyrecords-1"


@dataclass(frozen=True)
class Page:
    """The article on a page: cleaned body text plus the page's claims, each with its source."""

    text: str
    meta: PageMeta
    url: str | None
    sha256: str
    size: int
    #: The page as decoded text (kept in the record only when asked to).
    html: str = field(default="", repr=False, compare=False)

    @property
    def title(self) -> Sourced[str] | None:
        """The headline."""
        return self.meta.title

    @property
    def language(self) -> Sourced[str] | None:
        """The page's language: declared by the page, else detected from the text."""
        return self.meta.language

    def provenance(self) -> dict[str, Any]:
        """The ``page`` structure a record keeps: origin, hash and each field's source."""
        m = self.meta
        fields = {"title": m.title, "authors": m.authors, "published_at": m.published_at,
                  "canonical_url": m.canonical_url, "site_name": m.site_name,
                  "language": m.language}
        return {
            "url": self.url,
            "canonical_url": m.canonical_url.value if m.canonical_url else None,
            "sha256": self.sha256,
            "bytes": self.size,
            "authors": list(m.authors.value) if m.authors else [],
            "site_name": m.site_name.value if m.site_name else None,
            "extractor": PAGE_EXTRACTOR,
            "sources": {name: f.source for name, f in fields.items() if f is not None},
        }


def parse_html(html: str) -> HtmlElement:
    """The page as an lxml tree, parsed the way trafilatura parses it (so it is done once)."""
    tree = trafilatura.load_html(html)
    if tree is None:
        raise BadPage("not an HTML page: the markup could not be parsed")
    return tree


def extract_page(
    html: bytes | str,
    url: str | None = None,
    *,
    charset: str | None = None,
    max_bytes: int = MAX_PAGE_BYTES,
) -> Page:
    """Extract the article from ``html`` (bytes may be gzipped; ``charset`` from HTTP if known).

    Raises :class:`~indexer.web.errors.PageTooLarge` past ``max_bytes`` after decompression,
    :class:`~indexer.web.errors.BadPage` for binary, non-HTML or undecodable input, and
    :class:`~indexer.web.errors.NotAnArticle` for a page without an article. All three are
    ``indexer.errors.Unprocessable`` (field ``html``).
    """
    if isinstance(html, str):
        if len(html) > max_bytes:
            raise PageTooLarge(max_bytes)
        raw = html.encode("utf-8", errors="surrogatepass")
        if len(raw) > max_bytes:
            raise PageTooLarge(max_bytes)
        text = html
        check_is_html(text)
    else:
        raw = maybe_inflate(html, max_bytes)
        text = decode_html(raw, charset)
    tree = parse_html(text)
    meta = read_metadata(tree, url)
    titles = [meta.title.value if meta.title else None]
    body = main_text(tree, url, titles)
    check_article(body, tree, meta.title.value if meta.title else None)
    if meta.language is None:
        detected = detect_language(body)
        if detected is not None:
            meta = replace(meta, language=Sourced(detected, "text"))
    return Page(text=body, meta=meta, url=url, sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw), html=text)

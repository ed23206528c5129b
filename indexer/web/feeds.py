"""RSS 2.0, RSS 1.0 and Atom feeds read with lxml, entities never expanded (a feed is untrusted).

A document that declares entities (``<!ENTITY``) is refused outright; the parser also runs
with ``resolve_entities=False``, ``no_network=True`` and no DTD loading, so neither a billion
laughs nor an external entity can reach a file or the network.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lhtml

from indexer.web.dates import to_published
from indexer.web.errors import BadFeed
from indexer.web.limits import MAX_FEED_BYTES, maybe_inflate
from indexer.web.metadata import language_tag, squeeze

#: Items read from one feed document; real feeds carry tens.
MAX_ITEMS = 1000
#: A feed item whose own text has at least this many words is indexed without fetching the page.
FULL_TEXT_WORDS = 80
_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                     "tr", "section", "article", "pre", "ul", "ol", "table", "figure"})


@dataclass(frozen=True)
class FeedItem:
    """One entry: where its article lives and whatever text the feed itself carries."""

    key: str
    link: str | None
    title: str | None
    published_at: str | None
    text: str
    authors: tuple[str, ...]
    fingerprint: str

    @property
    def has_full_text(self) -> bool:
        """Whether the feed carries the article itself, so the page need not be fetched."""
        return len(_WORD.findall(self.text)) >= FULL_TEXT_WORDS


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its own title, site link and language, and its items in feed order."""

    title: str | None
    link: str | None
    language: str | None
    items: tuple[FeedItem, ...]


def looks_like_feed(data: bytes) -> bool:
    """Whether a document's start is an RSS or Atom root (for ``.xml`` files)."""
    head = data[:4096].lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def parse_feed(data: bytes, url: str | None = None, *, max_bytes: int = MAX_FEED_BYTES) -> Feed:
    """Parse an RSS/Atom document (gzip allowed); :class:`BadFeed` when it is not one."""
    data = maybe_inflate(data, max_bytes)
    if _ENTITY_DECL.search(data):
        raise BadFeed("the feed declares XML entities, which are refused (entity expansion is off)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=True,
                             remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BadFeed(f"not a well-formed feed: {exc}") from exc
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == f"{_ATOM}feed":
        return _atom(root, url)
    if tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise BadFeed("an RSS document without a <channel>")
        return _rss(channel, channel.findall("item"), url, "")
    if tag.endswith("RDF"):
        channel = root.find(f"{_RSS1}channel")
        return _rss(channel if channel is not None else root, root.findall(f"{_RSS1}item"), url,
                    _RSS1)
    raise BadFeed(f"not an RSS or Atom feed (root element {etree.QName(root).localname!r})")


def _text(node: etree._Element | None) -> str:
    return squeeze("".join(node.itertext())) if node is not None else ""


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment with its paragraphs as lines (feed summaries and content)."""
    if not fragment.strip():
        return ""
    try:
        root = lhtml.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return squeeze(fragment)
    for bad in root.xpath(".//script|.//style|.//iframe|.//noscript"):
        bad.drop_tree()
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag.lower() in _BLOCKS:
            node.tail = "\n" + (node.tail or "")
    lines = (squeeze(line) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _absolute(link: str | None, base: str | None) -> str | None:
    value = (link or "").strip()
    if not value:
        return None
    joined = urljoin(base, value) if base else value
    parts = urlsplit(joined)
    return joined if parts.scheme in ("http", "https") and parts.netloc else None


def _fingerprint(*parts: str | None) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8", "surrogatepass") + b"\x1f")
    return digest.hexdigest()[:32]


def _item(key: str | None, link: str | None, title: str, published: str | None,
          updated: str | None, body_html: str, authors: Iterable[str]) -> FeedItem | None:
    text = html_to_text(body_html)
    ident = key or link or (_fingerprint(title, text) if title or text else None)
    if ident is None:
        return None
    return FeedItem(
        key=ident[:2048],
        link=link,
        title=title or None,
        published_at=to_published(published) or to_published(updated),
        text=text,
        authors=tuple(dict.fromkeys(a for a in authors if a))[:20],
        fingerprint=_fingerprint(link, title, published, updated, text),
    )


def _rss(channel: etree._Element, items: list[etree._Element], url: str | None, ns: str) -> Feed:
    site = _absolute(_text(channel.find(f"{ns}link")), url)
    base = site or url
    parsed: list[FeedItem] = []
    for node in items[:MAX_ITEMS]:
        guid = _text(node.find("guid")) or node.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        content = _text(node.find(f"{_CONTENT}encoded"))
        summary = _text(node.find(f"{ns}description"))
        body = content if len(content) >= len(summary) else summary
        authors = [_text(n) for n in node.findall("author") + node.findall(f"{_DC}creator")]
        item = _item(guid, _absolute(_text(node.find(f"{ns}link")), base),
                     _text(node.find(f"{ns}title")),
                     _text(node.find("pubDate")) or _text(node.find(f"{_DC}date")), None, body,
                     authors)
        if item is not None:
            parsed.append(item)
    declared = _text(channel.find("language")) or _text(channel.find(f"{_DC}language"))
    language = language_tag(declared)
    return Feed(_text(channel.find(f"{ns}title")) or None, site, language, tuple(parsed))


def _atom_link(node: etree._Element, base: str | None) -> str | None:
    for link in node.findall(f"{_ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return _absolute(link.get("href"), base)
    return None


def _atom(root: etree._Element, url: str | None) -> Feed:
    site = _atom_link(root, url)
    base = url or site
    parsed: list[FeedItem] = []
    for entry in root.findall(f"{_ATOM}entry")[:MAX_ITEMS]:
        content = _text(entry.find(f"{_ATOM}content"))
        summary = _text(entry.find(f"{_ATOM}summary"))
        authors = [_text(a.find(f"{_ATOM}name")) for a in entry.findall(f"{_ATOM}author")]
        item = _item(_text(entry.find(f"{_ATOM}id")), _atom_link(entry, base),
                     _text(entry.find(f"{_ATOM}title")), _text(entry.find(f"{_ATOM}published")),
                     _text(entry.find(f"{_ATOM}updated")),
                     content if len(content) >= len(summary) else summary, authors)
        if item is not None:
            parsed.append(item)
    return Feed(_text(root.find(f"{_ATOM}title")) or None, site,
                language_tag(root.get(_XML_LANG)), tuple(parsed))

"""What a page says about itself (title, authors, date, canonical URL, site, language), each
value with where it came from, so a reader can tell a publisher's claim from our guess.

Sources, most trusted first: JSON-LD (``json-ld``), ``<meta>``/``<link>``/``<title>``/``lang``
markup (``meta``), the URL (``url``), and the page text (``text``). Pure functions of a parsed
tree; nothing here fetches anything.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import langcodes
from lxml.html import HtmlElement

from indexer.web.dates import date_in_url, to_published

Provenance = Literal["json-ld", "meta", "url", "text", "client", "feed"]
T = TypeVar("T")

#: JSON-LD scripts larger than this are skipped (no article needs megabytes of metadata).
MAX_JSON_LD_CHARS = 1_000_000
#: Objects visited per page when walking JSON-LD graphs (bounds deep or cyclic-looking data).
MAX_JSON_LD_NODES = 5_000
MAX_AUTHORS = 20
#: Publication dates before this year are placeholders (``0001-01-01``), not claims.
MIN_YEAR = 1900
_ARTICLE_TYPES = ("article", "posting", "report", "review", "newsarticle", "blogposting")
_SPACES = re.compile(r"\s+")
_BY = re.compile(r"^\s*(?:by|por|di|von|par|oleh)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A value and where on the page (or from whom) it came."""

    value: T
    source: Provenance


@dataclass(frozen=True)
class PageMeta:
    """Everything the page says about itself; ``None`` where it says nothing usable."""

    title: Sourced[str] | None = None
    authors: Sourced[tuple[str, ...]] | None = None
    published_at: Sourced[str] | None = None
    canonical_url: Sourced[str] | None = None
    site_name: Sourced[str] | None = None
    language: Sourced[str] | None = None
    description: str | None = None


def squeeze(value: str | None) -> str:
    """Whitespace runs made one space, ends trimmed."""
    return _SPACES.sub(" ", value or "").strip()


def read_metadata(tree: HtmlElement, url: str | None = None) -> PageMeta:
    """The page's own claims about itself, from a tree parsed by ``trafilatura.load_html``."""
    metas = _meta_tags(tree)
    ld = list(_json_ld_objects(tree))
    article = next((o for o in ld if _is_article(o)), None)
    site = _site_name(metas, ld, url)
    return PageMeta(
        title=_title(tree, metas, article, site),
        authors=_authors(metas, article),
        published_at=_published(tree, metas, article, url),
        canonical_url=_canonical(tree, metas, url),
        site_name=site,
        language=_language(tree, metas, article),
        description=squeeze(_first(metas, "og:description", "description",
                                   "twitter:description")) or None,
    )


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """``<meta>`` values keyed by lower-cased name/property/itemprop/http-equiv, in page order."""
    found: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content)
    return found


def _first(metas: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        for value in metas.get(key, ()):
            if squeeze(value):
                return value
    return None


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, ``@graph`` members included."""
    budget = MAX_JSON_LD_NODES
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if len(raw) > MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        while stack and budget > 0:
            item = stack.pop()
            budget -= 1
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k.lower() for k in kinds if isinstance(k, str)]


def _is_article(obj: dict[str, Any]) -> bool:
    return any(k.endswith(_ARTICLE_TYPES) for k in _types(obj))


def _text(value: Any) -> str:
    """A JSON-LD value as one string (``{"name": …}`` and ``{"@value": …}`` unwrapped)."""
    if isinstance(value, str):
        return squeeze(html.unescape(value))
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@value"))
    if isinstance(value, list) and value:
        return _text(value[0])
    return ""


def _title(tree: HtmlElement, metas: dict[str, list[str]], article: dict[str, Any] | None,
           site: Sourced[str] | None) -> Sourced[str] | None:
    if article is not None:
        headline = _text(article.get("headline") or article.get("name"))
        if headline:
            return Sourced(headline, "json-ld")
    value = squeeze(_first(metas, "og:title", "twitter:title", "title", "headline"))
    if value:
        return Sourced(value, "meta")
    title = tree.find(".//title")
    value = squeeze(title.text_content() if title is not None else "")
    if value:
        return Sourced(_without_site(value, site.value if site else None), "meta")
    for h1 in tree.iter("h1"):
        value = squeeze(h1.text_content())
        if value:
            return Sourced(value, "text")
    return None


def _without_site(title: str, site: str | None) -> str:
    """``"Talks resume | Example News"`` -> ``"Talks resume"`` when the tail names the site."""
    for sep in (" | ", " - ", " \u2013 ", " \u2014 ", " :: "):
        head, found, tail = title.rpartition(sep)
        if found and head and (site is None or tail.strip().lower() == site.lower()
                               or len(tail) <= 30):
            return head.strip()
    return title


def _authors(metas: dict[str, list[str]], article: dict[str, Any] | None
             ) -> Sourced[tuple[str, ...]] | None:
    if article is not None:
        raw = article.get("author") or article.get("creator")
        people = raw if isinstance(raw, list) else [raw]
        names = _names(_text(p) for p in people)
        if names:
            return Sourced(names, "json-ld")
    for key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
                "dcterms.creator", "byl", "twitter:creator"):
        names = _names(v for v in metas.get(key, ()) if not v.strip().startswith(("http", "@")))
        if names:
            return Sourced(names, "meta")
    return None


def _names(values: Iterator[str] | Any) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for value in values:
        name = _BY.sub("", squeeze(value))
        if 1 < len(name) <= 100 and not name.startswith(("http://", "https://")):
            out.setdefault(name, None)
        if len(out) >= MAX_AUTHORS:
            break
    return tuple(out)


def _published(tree: HtmlElement, metas: dict[str, list[str]], article: dict[str, Any] | None,
               url: str | None) -> Sourced[str] | None:
    if article is not None:
        value = _plausible(_text(article.get("datePublished") or article.get("dateCreated")))
        if value:
            return Sourced(value, "json-ld")
    for key in ("article:published_time", "og:article:published_time", "datepublished",
                "publishdate", "pubdate", "publish-date", "date", "dc.date.issued",
                "dcterms.created", "dc.date", "sailthru.date", "parsely-pub-date",
                "citation_publication_date", "article.published", "originalpublicationdate"):
        for raw in metas.get(key, ()):
            value = _plausible(raw)
            if value:
                return Sourced(value, "meta")
    for node in tree.iter("time"):
        if node.get("itemprop") == "datePublished" or node.get("pubdate") is not None:
            value = _plausible(node.get("datetime"))
            if value:
                return Sourced(value, "meta")
    from_url = date_in_url(urlsplit(url).path if url else None)
    if from_url:
        return Sourced(from_url, "url")
    return _htmldate(tree, url)


def _plausible(raw: str | None) -> str | None:
    value = to_published(raw)
    return value if value and int(value[:4]) >= MIN_YEAR else None


def _htmldate(tree: HtmlElement, url: str | None) -> Sourced[str] | None:
    """htmldate's reading of the page (visible dates, other markup), as a last resort."""
    import htmldate

    try:
        found = htmldate.find_date(tree, extensive_search=True, original_date=True, url=url)
    except (ValueError, TypeError, RecursionError):
        return None
    value = _plausible(found) if found else None
    return Sourced(value, "text") if value else None


def _canonical(tree: HtmlElement, metas: dict[str, list[str]], url: str | None
               ) -> Sourced[str] | None:
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            absolute = _absolute(href, url)
            if absolute:
                return Sourced(absolute, "meta")
    value = _absolute((_first(metas, "og:url") or "").strip(), url)
    if value:
        return Sourced(value, "meta")
    if url and _absolute(url, None):
        return Sourced(url, "url")
    return None


def _absolute(href: str, base: str | None) -> str | None:
    """An http(s) URL, relative links resolved against ``base``; None for anything else."""
    if not href or len(href) > 2048:
        return None
    joined = urljoin(base, href) if base else href
    parts = urlsplit(joined)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return joined


def _site_name(metas: dict[str, list[str]], ld: list[dict[str, Any]], url: str | None
               ) -> Sourced[str] | None:
    value = squeeze(_first(metas, "og:site_name", "application-name", "twitter:app:name:iphone"))
    if value and len(value) <= 200:
        return Sourced(value, "meta")
    for obj in ld:
        publisher = _text(obj.get("publisher")) if _is_article(obj) else ""
        if not publisher and ("website" in _types(obj) or "organization" in _types(obj)):
            publisher = _text(obj.get("name"))
        if publisher and len(publisher) <= 200:
            return Sourced(publisher, "json-ld")
    host = urlsplit(url).hostname if url else None
    if host:
        return Sourced(host.removeprefix("www."), "url")
    return None


def _language(tree: HtmlElement, metas: dict[str, list[str]], article: dict[str, Any] | None
              ) -> Sourced[str] | None:
    if article is not None:
        tag = language_tag(_text(article.get("inLanguage")))
        if tag:
            return Sourced(tag, "json-ld")
    for raw in (tree.get("lang"), tree.get("xml:lang"),
                _first(metas, "content-language", "og:locale", "language", "dc.language")):
        tag = language_tag(raw)
        if tag:
            return Sourced(tag, "meta")
    return None


def language_tag(raw: str | None) -> str | None:
    """A declared language as a canonical BCP 47 tag (``en_US`` -> ``en-US``); None if bogus."""
    value = (raw or "").strip().split(",")[0].strip().replace("_", "-")
    if not value or len(value) > 35 or value.lower() in ("x-default", "und", "mul", "zxx"):
        return None
    if not langcodes.tag_is_valid(value):
        return None
    tag = str(langcodes.standardize_tag(value))
    return tag if langcodes.Language.get(tag).is_valid() else None

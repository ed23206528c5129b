"""Read article files into raw records, reporting unreadable ones.

Text and JSON (``.txt``, ``.json``, ``.ndjson``), web pages (``.html``/``.htm``, also
gzipped), web archives (``.warc``, ``.warc.gz``: their HTML response records) and feeds
(``.rss``, ``.atom``, ``.xml`` that is RSS/Atom). A page's record carries the article input
fields plus its provenance under ``page`` (:data:`PAGE_KEY`). A feed item
with only a link is fetched (politely, public addresses only unless the fetcher allows more);
when the link is unreachable the item is reported, not dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.web.fetch import Fetcher

SUFFIXES = (".txt", ".json", ".ndjson", ".jsonl")
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
ARCHIVE_SUFFIXES = (".warc", ".warc.gz")
FEED_SUFFIXES = (".rss", ".atom", ".xml", ".rss.gz", ".atom.gz", ".xml.gz")
ALL_SUFFIXES = SUFFIXES + PAGE_SUFFIXES + ARCHIVE_SUFFIXES + FEED_SUFFIXES
MAX_TITLE = 200
#: Key of a page's provenance in its record's data (see ``indexer.web.page.Page.provenance``).
PAGE_KEY = "page"


def kind_of(path: Path) -> str | None:
    """``text``, ``page``, ``archive`` or ``feed`` by the file's name; None if unsupported."""
    name = path.name.lower()
    for kind, suffixes in (("page", PAGE_SUFFIXES), ("archive", ARCHIVE_SUFFIXES),
                           ("feed", FEED_SUFFIXES), ("text", SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    return None


@dataclass(frozen=True)
class SourceRecord:
    """One article as read from disk: its fields, or why it could not be read."""

    origin: str
    data: dict[str, Any]
    error: str | None = None
    #: Made by this process from a page, archive or feed: its ``page`` provenance is ours
    #: (a client's own JSON may not carry one).
    trusted: bool = False


def read_sources(
    paths: Iterable[Path],
    defaults: Mapping[str, str | None] | None = None,
    *,
    fetcher: Fetcher | None = None,
    keep_html: bool = False,
) -> Iterator[SourceRecord]:
    """Yield a record per article in the files (directories are walked, sorted for stable order).

    ``defaults`` fill fields a file leaves out (e.g. ``source``, ``published_at``).
    ``fetcher`` fetches feed items that carry only a link (default: a polite public-only one).
    ``keep_html`` keeps each page's HTML (files and archives) in its record.
    """
    fill = {k: v for k, v in (defaults or {}).items() if v is not None}
    fetchers: list[Fetcher] = [fetcher] if fetcher is not None else []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p))
        else:
            files = [path]
        for file in files:
            for record in _read_any(file, fetchers, keep_html):
                if record.error is None:
                    record = SourceRecord(record.origin, _fill(record.data, fill),
                                          trusted=record.trusted)
                yield record


def _wanted(path: Path) -> bool:
    """Files a directory walk reads: known kinds, and ``.xml`` only when it is a feed."""
    kind = kind_of(path)
    if kind != "feed" or not path.name.lower().endswith(".xml"):
        return kind is not None
    from indexer.web.feeds import looks_like_feed

    try:
        with path.open("rb") as handle:
            return looks_like_feed(handle.read(4096))
    except OSError:
        return True  # let the read report it


def _fill(data: dict[str, Any], fill: Mapping[str, str]) -> dict[str, Any]:
    """``fill`` under ``data``; for a page, a filled field's provenance is ``client``."""
    merged = {**fill, **data}
    page = data.get(PAGE_KEY)
    if isinstance(page, dict):
        added = {key: "client" for key in fill if key not in data}
        merged[PAGE_KEY] = {**page, "sources": {**page.get("sources", {}), **added}}
    return merged


def _read_any(path: Path, fetchers: list[Fetcher], keep_html: bool = False
              ) -> Iterator[SourceRecord]:
    kind = kind_of(path)
    if kind == "page":
        from indexer.web.files import read_page_file

        yield read_page_file(path, keep_html=keep_html)
    elif kind == "archive":
        from indexer.web.files import read_archive_file

        yield from read_archive_file(path, keep_html=keep_html)
    elif kind == "feed":
        from indexer.web.files import read_feed_file

        yield from read_feed_file(path, fetchers)
    else:
        yield from _read_file(path)


def _read_file(path: Path) -> Iterator[SourceRecord]:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield SourceRecord(str(path), {}, f"cannot read file: {exc}")
        return
    if path.suffix == ".txt":
        yield SourceRecord(str(path), txt_article(content))
    elif path.suffix == ".json":
        yield _json_record(str(path), content)
    elif path.suffix in (".ndjson", ".jsonl"):
        for number, line in enumerate(content.splitlines(), start=1):
            if line.strip():
                yield _json_record(f"{path}:{number}", line)
    else:
        yield SourceRecord(str(path), {}, f"unsupported file type {path.suffix or '(none)'}")


def txt_article(content: str) -> dict[str, Any]:
    """Title is the first line; a short headline line is not repeated in the text.

    Plain-text articles often start straight with the body; then the first line doubles as
    a (shortened) title and stays in the text, so nothing is lost from extraction.
    """
    first, _, rest = content.strip().partition("\n")
    first = first.strip()
    headline = len(first) <= MAX_TITLE and not first.endswith((".", "!", "?", "\u201d", '"'))
    if headline and rest.strip():
        return {"title": first, "text": rest.strip()}
    title = first if len(first) <= MAX_TITLE else first[:MAX_TITLE].rsplit(" ", 1)[0] + "\u2026"
    return {"title": title, "text": content.strip()}


def _json_record(origin: str, raw: str) -> SourceRecord:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return SourceRecord(origin, {}, f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        return SourceRecord(origin, {}, "expected a JSON object with at least a 'text' field")
    return SourceRecord(origin, data)

"""HTML pages out of WARC files (``.warc``, ``.warc.gz``): the ``response`` records of HTML.

A small reader of our own rather than a general WARC library: every line, header block and
record body is read against a limit, so a hostile archive (a header line or a payload that
decompresses to gigabytes) is a clear error for that record, never an out-of-memory, and
reading stays linear in the archive's size.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from indexer.web.errors import BadArchive, BadPage, PageTooLarge
from indexer.web.limits import MAX_PAGE_BYTES, inflate

#: Longest header line and largest header block (WARC or HTTP) we read.
MAX_LINE = 16 * 1024
MAX_HEADERS = 64 * 1024
#: Decompressed bytes read from one archive at most (bounds the time a bomb can cost).
MAX_ARCHIVE_BYTES = 4 * 1024**3
#: Blank lines tolerated between records.
MAX_GAP_LINES = 64
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class WarcPage:
    """One archived HTML response, or why the record could not be used (``error``)."""

    offset: int
    url: str | None
    date: str | None
    html: bytes = b""
    charset: str | None = None
    error: str | None = None


class _Reader:
    """Line and block reads over a (possibly gzipped) stream, each against a limit."""

    def __init__(self, stream: BinaryIO, max_total: int = MAX_ARCHIVE_BYTES) -> None:
        buffered: Any = stream if hasattr(stream, "peek") else io.BufferedReader(
            cast(Any, stream), _CHUNK)
        head = buffered.peek(2)[:2]
        self.stream: Any = (gzip.GzipFile(fileobj=buffered, mode="rb")
                            if head == b"\x1f\x8b" else buffered)
        self.position = 0
        self.max_total = max_total

    def _count(self, size: int) -> None:
        self.position += size
        if self.position > self.max_total:
            raise BadArchive(f"the archive is larger than {self.max_total} bytes decompressed")

    def line(self) -> bytes:
        data: bytes = self.stream.readline(MAX_LINE + 1)
        self._count(len(data))
        if len(data) > MAX_LINE:
            raise BadArchive(f"a header line longer than {MAX_LINE} bytes at offset "
                             f"{self.position}")
        return data

    def block(self, length: int, limit: int) -> bytes | None:
        """``length`` bytes, or None (skipped, still read through) when over ``limit``."""
        keep = length <= limit
        parts: list[bytes] = []
        left = length
        while left > 0:
            chunk: bytes = self.stream.read(min(left, _CHUNK))
            if not chunk:
                raise BadArchive(f"the archive ends inside a record at offset {self.position}")
            left -= len(chunk)
            self._count(len(chunk))
            if keep:
                parts.append(chunk)
        return b"".join(parts) if keep else None


def _headers(reader: _Reader) -> dict[str, str]:
    found: dict[str, str] = {}
    total = 0
    while True:
        line = reader.line()
        total += len(line)
        if total > MAX_HEADERS:
            raise BadArchive(f"a header block larger than {MAX_HEADERS} bytes")
        text = line.decode("latin-1").rstrip("\r\n")
        if not text:
            return found
        name, sep, value = text.partition(":")
        if sep:
            found[name.strip().lower()] = value.strip()
        if not line.endswith(b"\n"):
            raise BadArchive("the archive ends inside a header block")


def read_warc(stream: BinaryIO, max_bytes: int = MAX_PAGE_BYTES,
              max_total: int = MAX_ARCHIVE_BYTES) -> Iterator[WarcPage]:
    """Yield each HTML response record (errors per record); :class:`BadArchive` if unreadable."""
    try:
        reader = _Reader(stream, max_total)
        yield from _records(reader, max_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadArchive(f"not a readable WARC file: {exc}") from exc


def _records(reader: _Reader, max_bytes: int) -> Iterator[WarcPage]:
    while True:
        offset = reader.position
        line = b""
        for _ in range(MAX_GAP_LINES):
            line = reader.line()
            if not line or line.strip():
                break
        if not line:
            return
        if not line.startswith(b"WARC/"):
            raise BadArchive(f"not a WARC record at offset {offset}")
        headers = _headers(reader)
        try:
            length = int(headers.get("content-length", ""))
        except ValueError as exc:
            raise BadArchive(f"a record without a valid Content-Length at offset {offset}") from exc
        if length < 0:
            raise BadArchive(f"a negative Content-Length at offset {offset}")
        url = headers.get("warc-target-uri", "").strip("<>") or None
        date = headers.get("warc-date")
        wanted = (headers.get("warc-type") == "response"
                  and headers.get("content-type", "").startswith("application/http"))
        # an HTTP response may be larger than its page only by its headers
        block = reader.block(length, max_bytes + MAX_HEADERS if wanted else -1)
        if not wanted:
            continue
        if block is None:
            yield WarcPage(offset, url, date, error=f"record larger than the limit of "
                           f"{max_bytes} bytes; skipped")
            continue
        page = _http_page(block, max_bytes, offset, url, date)
        if page is not None:
            yield page


def _http_page(block: bytes, max_bytes: int, offset: int, url: str | None, date: str | None
               ) -> WarcPage | None:
    """The HTML body of an archived HTTP response; None for non-HTML or non-200 responses."""
    reader = _Reader(io.BytesIO(block))
    try:
        status_line = reader.line().decode("latin-1").split()
        headers = _headers(reader)
    except BadArchive as exc:
        return WarcPage(offset, url, date, error=str(exc))
    status = status_line[1] if len(status_line) > 1 else ""
    kind = headers.get("content-type", "")
    if status != "200" or not kind.lower().startswith(_HTML_TYPES):
        return None
    body = block[reader.position:]
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = _dechunk(body, max_bytes)
        encoding = headers.get("content-encoding", "identity").lower().strip()
        if encoding in ("gzip", "x-gzip", "deflate"):
            body = inflate(body, max_bytes)
        elif encoding not in ("identity", ""):
            return WarcPage(offset, url, date, error=f"unsupported Content-Encoding {encoding}")
        if len(body) > max_bytes:
            raise PageTooLarge(max_bytes)
    except (BadPage, BadArchive) as exc:
        return WarcPage(offset, url, date, error=str(exc))
    except ValueError as exc:
        return WarcPage(offset, url, date, error=f"cannot decode the response body: {exc}")
    charset = None
    for part in kind.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return WarcPage(offset, url, date, html=body, charset=charset)


def _dechunk(body: bytes, limit: int) -> bytes:
    """Undo HTTP chunked transfer coding (some archivers keep it), capped at ``limit``."""
    out: list[bytes] = []
    size = 0
    position = 0
    while True:
        end = body.find(b"\n", position, position + MAX_LINE)
        if end < 0:
            raise BadArchive("a malformed chunked response body")
        length = int(body[position:end].split(b";")[0].strip() or b"0", 16)
        position = end + 1
        if length == 0:
            return b"".join(out)
        size += length
        if size > limit:
            raise PageTooLarge(limit)
        out.append(body[position:position + length])
        position += length + 2

"""Size caps that hold after decompression, so a small gzip bomb cannot become gigabytes."""

from __future__ import annotations

import zlib
from typing import BinaryIO

from indexer.web.errors import BadPage, PageTooLarge

#: Largest HTML page we read (bytes after decompression); real article pages are well under.
MAX_PAGE_BYTES = 5_000_000
#: Largest feed document (bytes after decompression).
MAX_FEED_BYTES = 10_000_000
_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


def read_capped(stream: BinaryIO, limit: int) -> bytes:
    """All of ``stream``, or :class:`PageTooLarge` as soon as it passes ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PageTooLarge(limit)
        parts.append(chunk)
    return b"".join(parts)


def is_gzip(data: bytes) -> bool:
    """Whether ``data`` starts like a gzip stream (files are sniffed, not trusted by name)."""
    return data[:2] == _GZIP_MAGIC


def inflate(data: bytes, limit: int, *, wbits: int = 47) -> bytes:
    """Decompress gzip/zlib ``data`` (all members) without ever holding more than ``limit``.

    ``wbits=47`` auto-detects gzip or zlib headers; ``-15`` reads raw deflate.
    """
    out: list[bytes] = []
    size = 0
    pending = data
    while pending:
        engine = zlib.decompressobj(wbits)
        while pending:
            try:
                chunk = engine.decompress(pending, limit + 1 - size)
            except zlib.error as exc:
                raise BadPage(f"not valid compressed data ({exc})") from exc
            size += len(chunk)
            if size > limit:
                raise PageTooLarge(limit)
            out.append(chunk)
            pending = engine.unconsumed_tail
        tail = engine.flush(limit + 1 - size)
        size += len(tail)
        if size > limit:
            raise PageTooLarge(limit)
        out.append(tail)
        pending = engine.unused_data if engine.eof else b""
        if not engine.eof:
            raise BadPage("the compressed data ends early")
        if pending and not is_gzip(pending):
            break  # trailing garbage after the last gzip member, as gzip(1) ignores it
    return b"".join(out)


def maybe_inflate(data: bytes, limit: int) -> bytes:
    """``data`` decompressed when it is gzip, as is otherwise; capped either way."""
    if is_gzip(data):
        return inflate(data, limit)
    if len(data) > limit:
        raise PageTooLarge(limit)
    return data

"""WARC files made in the test: by warcio's writer (the common tool) or by hand (hostile ones)."""

from __future__ import annotations

import gzip
import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def written_by_warcio(pages: list[tuple[str, str, bytes]], *, gz: bool = True) -> bytes:
    """A WARC of (url, content type, body) responses, each preceded by its request record."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    for url, kind, body in pages:
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True))
        writer.write_record(request)
        headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response",
                                                      payload=io.BytesIO(body),
                                                      length=len(body),
                                                      http_headers=headers))
    return out.getvalue()


def record(block: bytes, *, kind: str = "response", url: str = "https://a.example/",
           length: int | None = None, extra: bytes = b"") -> bytes:
    """One WARC record by hand; ``length`` may lie, ``extra`` adds header lines."""
    size = len(block) if length is None else length
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {url}\r\n"
            f"WARC-Date: 2022-01-10T18:00:00Z\r\nContent-Type: application/http; msgtype=response"
            f"\r\nContent-Length: {size}\r\n").encode() + extra + b"\r\n"
    return head + block + b"\r\n\r\n"


def http(body: bytes, *, status: str = "200 OK", kind: str = "text/html; charset=utf-8",
         headers: bytes = b"") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n".encode() + headers + b"\r\n" + body)


def gzipped(*records: bytes) -> bytes:
    return b"".join(gzip.compress(r) for r in records)

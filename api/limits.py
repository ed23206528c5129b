"""Bounds on what one request may make a worker do: URL, headers, body, lines and nesting.

The HTTP server (gunicorn) refuses request lines and header lines over
:data:`MAX_REQUEST_LINE` bytes and more than :data:`MAX_HEADERS` headers before the app sees
them; the search parameters' own limits (api.search_args) are chosen so that any request
within them fits. Bodies are read here, within their limit, whatever their framing.
"""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from api.errors import problem, too_large
from indexer.bulk import DEPTH_MESSAGE, MAX_JSON_DEPTH, too_deep

__all__ = [
    "DEPTH_MESSAGE",
    "MAX_HEADERS",
    "MAX_JSON_DEPTH",
    "MAX_REQUEST_LINE",
    "limit_url_length",
    "read_body",
    "too_deep",
]

#: gunicorn's ceiling for the request line and for each header line.
MAX_REQUEST_LINE = 8190
MAX_HEADERS = 64


def limit_url_length() -> Response | None:
    """414 as a problem where no HTTP server in front enforces the bound (tests, other servers)."""
    line = len(request.method) + len(request.full_path.encode("utf-8")) + len(" HTTP/1.1") + 1
    if line > MAX_REQUEST_LINE:
        return problem(414, f"The request line is longer than {MAX_REQUEST_LINE} bytes.")
    return None


def read_body(limit: int) -> Response | None:
    """Read the whole body into the request (413 when over ``limit``, framed any way).

    A chunked body has no Content-Length to check up front, and reading it only up to the
    limit would silently cut it: read one byte more than allowed and refuse if it is there.
    """
    request.max_content_length = limit + 1  # before the stream is first touched
    try:
        over = len(request.get_data(cache=True)) > limit
    except RequestEntityTooLarge:  # Content-Length said so, or the stream ran past the limit
        over = True
    if over:
        return too_large(f"The body is larger than {limit} bytes; nothing was stored.")
    return None

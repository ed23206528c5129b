"""One id per request, in the ``X-Request-Id`` header, every problem body and every log line.

Clients quote it; operators find the details the client was not shown (driver messages,
paths, hosts) under it in the log. An id a proxy already assigned is kept when it looks like
one, so a request can be followed across both.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-Id"
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_id() -> str:
    """A random id (used outside requests too, by the HTTP server's own errors)."""
    return uuid.uuid4().hex


def request_id() -> str:
    """This request's id, assigned on first use."""
    if not has_request_context():
        return new_id()
    found: str | None = g.get("request_id")
    if found is None:
        sent = request.headers.get(HEADER, "")
        found = sent if _SANE.fullmatch(sent) else new_id()
        g.request_id = found
    return found


def _send(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    """Answer every request with its id (errors included: after_request runs for them too)."""
    app.after_request(_send)

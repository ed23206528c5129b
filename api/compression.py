"""Smaller answers: gzip when the client accepts it, and validators that let a client skip a body.

Successful answers of JSON, the contract (YAML) and the docs page are gzip-compressed
(flask-compress) when the request's ``Accept-Encoding`` allows gzip and the body is at least
:data:`MIN_SIZE` bytes. Smaller bodies, problems (flask-compress leaves every status but
2xx alone) and streamed answers (the docs' static files) are sent as they are. Every answer
says ``Vary: Accept-Encoding``.

A record read by id carries a strong ``ETag``: a digest of its JSON, so it changes exactly
when the record does. A compressed answer's ETag gets a ``:gzip`` suffix (a strong validator
differs between content codings). ``If-None-Match`` naming the ETag of the answer that would
be sent (or ``*``) gets ``304 Not Modified`` with no body.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Flask, Response, request
from flask_compress import Compress

#: Bodies below this many bytes are not worth compressing.
MIN_SIZE = 1024
MIMETYPES = ["application/json", "application/yaml", "text/html"]

#: How openapi.yaml describes the validator (on the 200 and the 304 of a read by id).
ETAG_HEADER: dict[str, Any] = {
    "description": "A strong validator of this record's content (a digest of its JSON; "
    "`:gzip` is appended when the answer is gzip-compressed). Send it back in "
    "`If-None-Match` to get 304 while the record is unchanged.",
    "schema": {"type": "string"},
}
IF_NONE_MATCH: dict[str, Any] = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "ETags of copies you hold (or `*`): 304 with no body when the record's "
    "current ETag is among them.",
    "schema": {"type": "string"},
}
NOT_MODIFIED_DESCRIPTION = "Not modified: the copy named in `If-None-Match` is current."


def etag_of(data: Any) -> str:
    """The strong ETag of a JSON-able record (quoted, as the header carries it)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32] + '"'


def _conditional(response: Response) -> Response:
    """304 for a GET whose If-None-Match names the answer's ETag (after any compression)."""
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and "ETag" in response.headers
        and request.if_none_match
    ):
        response.make_conditional(request)
    return response


def init_app(app: Flask) -> None:
    """Register last in the app factory: compression runs before every other after-request
    hook, and the conditional check just after it (hooks run in reverse order)."""
    app.after_request(_conditional)
    app.config.update(
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_LEVEL=6,
        COMPRESS_MIN_SIZE=MIN_SIZE,
        COMPRESS_STREAMS=False,
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=True,
    )
    Compress(app)

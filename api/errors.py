"""Every error leaves the API the same way: RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, json, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from api.request_ids import request_id
from indexer.errors import (
    Conflict,
    InvalidQuery,
    Moved,
    NotAssigned,
    NotFound,
    StoreFull,
    StoreUnavailable,
    Unprocessable,
)
from indexer.web.errors import BadPage, NotAnArticle, PageTooLarge

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

#: Problem types this API defines (relative URIs documented in openapi.yaml and the README).
VALIDATION = "/problems/validation-error"
STORE_UNAVAILABLE = "/problems/store-unavailable"
STORE_FULL = "/problems/store-full"
CONFLICT = "/problems/conflict"
EMPTY_ARTICLE = "/problems/empty-article"
NOT_AN_ARTICLE = "/problems/not-an-article"
NOT_A_PAGE = "/problems/not-a-page"
KEY_REQUIRED = "/problems/key-required"
INVALID_KEY = "/problems/invalid-key"
INSUFFICIENT_SCOPE = "/problems/insufficient-scope"
RATE_LIMITED = "/problems/rate-limited"
TOO_LARGE = "/problems/too-large"
REALM = 'Bearer realm="storyrecords"'


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; ``errors`` maps each bad field to its messages.

    Problem types may add members (RFC 9457 section 3.2), so extra properties are allowed.
    """

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True, metadata={"example": VALIDATION})
    title = ma.fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = ma.fields.Integer(required=True, metadata={"example": 422})
    detail = ma.fields.String(required=True, metadata={"example": "size: must be at most 100"})
    request_id = ma.fields.String(
        required=True,
        metadata={
            "description": "Also in the `X-Request-Id` header; the server's log has the details "
            "under it.",
            "example": "3f2c1d0e9b8a4f6e8d7c6b5a4f3e2d1c",
        },
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        metadata={"description": "Field errors by location and field name (validation only)."},
    )
    results = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Bulk ingest only: the outcome of every line, as in BulkResult."},
    )


def problem_body(
    status: int, detail: str, rid: str, *, type_: str = "about:blank", **extra: Any
) -> dict[str, Any]:
    """The RFC 9457 members every problem carries (the HTTP server's own errors use it too)."""
    return {
        "type": type_,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "request_id": rid,
        **extra,
    }


def problem(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build a problem+json response; the single place error bodies are shaped."""
    body = problem_body(status, detail, request_id(), type_=type_)
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def retry_after() -> str:
    """Seconds a client should wait after a 503: ``STORYRECORDS_RETRY_AFTER``, on every 503."""
    seconds: int = current_app.extensions["storyrecords"].settings.retry_after_seconds
    return str(seconds)


def store_unavailable(detail: str, **extra: Any) -> Response:
    """503 with ``Retry-After``: the store could not be reached, say what state things are in."""
    return problem(
        503, detail, type_=STORE_UNAVAILABLE, headers={"Retry-After": retry_after()}, **extra
    )


def unsupported_media_type(allowed: tuple[str, ...], got: str | None) -> Response:
    """415 naming the media types the endpoint takes."""
    return problem(415, f"Content-Type must be {' or '.join(allowed)}, got {got or 'none'}")


def validation_failed(detail: str, **extra: Any) -> Response:
    """422 for input that is well-formed but not acceptable (bulk: with per-line results)."""
    return problem(422, detail, type_=VALIDATION, **extra)


def bad_request(detail: str) -> Response:
    """400 for a body that cannot be read at all."""
    return problem(400, detail)


def too_large(detail: str) -> Response:
    """413: nothing of the body was used (it is refused before any of it is stored)."""
    return problem(413, detail, type_=TOO_LARGE)


def unauthorized(detail: str, *, invalid: bool) -> Response:
    """401 with the RFC 6750 challenge; ``invalid`` when a key was sent but is not valid."""
    challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
    return problem(
        401,
        detail,
        type_=INVALID_KEY if invalid else KEY_REQUIRED,
        headers={"WWW-Authenticate": challenge},
    )


def forbidden(scope: str) -> Response:
    """403: the key is valid but may not do this."""
    return problem(
        403,
        f"This API key lacks the {scope} scope; use a key created with --scope {scope}.",
        type_=INSUFFICIENT_SCOPE,
        headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
    )


def _describe(errors: dict[str, Any]) -> str:
    """One readable line from webargs' nested ``{location: {field: [messages]}}``."""
    parts: list[str] = []
    for location, fields in errors.items():
        if not isinstance(fields, dict):
            parts.append(f"{location}: {fields}")
            continue
        for name, messages in fields.items():
            text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            parts.append(f"{name}: {text}")
    return "; ".join(parts) or "the request is invalid"


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug/webargs errors (400, 404, 405, 413, 415, 422 …) as problems."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if status == 422 and errors:
        return problem(status, _describe(errors), type_=VALIDATION, errors=errors)
    if status == 400 and errors:
        return problem(status, f"Malformed request: {_describe(errors)}", errors=errors)
    detail = data.get("message") or error.description or HTTPStatus(status).description
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problem(status, str(detail), headers=headers)


def init_app(app: Flask) -> None:
    """Register the handlers; indexer exceptions map to HTTP statuses here and only here."""

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound) -> Response:
        return problem(404, str(error))

    @app.errorhandler(Moved)
    def _moved(error: Moved) -> Response:
        location = request.path.replace(f"/{error.old_id}", f"/{error.new_id}", 1)
        return problem(
            301,
            f"{error}; follow Location.",
            type_="/problems/moved",
            headers={"Location": location},
            moved_to=error.new_id,
        )

    @app.errorhandler(Conflict)
    def _conflict(error: Conflict) -> Response:
        return problem(409, str(error), type_=CONFLICT)

    @app.errorhandler(InvalidQuery)
    def _invalid_query(error: InvalidQuery) -> Response:
        errors = {"query": {error.field: [str(error)]}}
        return problem(422, f"{error.field}: {error}", type_=VALIDATION, errors=errors)

    @app.errorhandler(Unprocessable)
    def _unprocessable(error: Unprocessable) -> Response:
        errors = {"json" if request.is_json else "body": {error.field: [str(error)]}}
        kind = (NOT_AN_ARTICLE if isinstance(error, NotAnArticle)
                else NOT_A_PAGE if isinstance(error, BadPage) else EMPTY_ARTICLE)
        return problem(422, str(error), type_=kind, errors=errors)

    @app.errorhandler(PageTooLarge)
    def _page_too_large(error: PageTooLarge) -> Response:
        return too_large(f"The page is {error}; nothing was stored.")

    @app.errorhandler(StoreUnavailable)
    def _unavailable(error: StoreUnavailable) -> Response:
        log.warning("request %s: store unavailable: %s", request_id(), error)
        return store_unavailable(
            f"{error.public_message()} Nothing was changed; retry later."
        )

    @app.errorhandler(NotAssigned)
    def _not_assigned(error: NotAssigned) -> Response:
        # Something *was* changed: the article is stored. Say so, and which one it is.
        log.warning("request %s: %s: %s", request_id(), error, error.__cause__)
        return store_unavailable(error.public_message(), article_id=error.article_id)

    @app.errorhandler(StoreFull)
    def _store_full(error: StoreFull) -> Response:
        log.warning("request %s: store full: %s", request_id(), error)
        return problem(507, error.public_message(), type_=STORE_FULL,
                       headers={"Retry-After": retry_after()})

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded) -> Response:
        # Retry-After and RateLimit-* are added on the way out (api.ratelimit).
        return problem(
            429,
            f"Too many requests: at most {error.description} per API key (per client address "
            "without one). Wait as long as Retry-After says.",
            type_=RATE_LIMITED,
        )

    app.register_error_handler(HTTPException, handle_http_exception)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("request %s: unhandled error", request_id())
        return problem(500, "An unexpected error occurred; it has been logged with request_id.")

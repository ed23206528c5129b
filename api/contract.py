"""What every operation shares in openapi.yaml, declared once: headers, 429, the key scheme.

Generated clients read these: the bearer scheme makes them send the key, and the headers are
what a front end may show (``X-Request-Id`` to quote, ``RateLimit-*`` to pace itself).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin

from api.ratelimit import UNLIMITED

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "This request's id; problem bodies repeat it as `request_id`.",
        "schema": {"type": "string"},
    },
    "RateLimit-Limit": {
        "description": "Requests allowed per window, per API key (per address without one).",
        "schema": {"type": "integer"},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer"},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the window resets.",
        "schema": {"type": "integer"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    },
    "WWW-Authenticate": {
        "description": "The Bearer challenge (RFC 6750), with `error` when a key was refused.",
        "schema": {"type": "string"},
    },
}
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")

BEARER: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key from `storyrecords keys create`, sent as "
    "`Authorization: Bearer <key>`. Writes need the `write` scope; reads are open unless the "
    "server requires a `read` key. A key that is sent is always checked (401 if not valid).",
}


def register(spec: APISpec) -> None:
    """The shared headers and the bearer scheme, as components."""
    for name, header in HEADERS.items():
        spec.components.header(name, header, lazy=True)
    spec.components.security_scheme("bearerAuth", BEARER)


class ContractPlugin(BasePlugin):
    """Adds to every operation what the app adds to every answer (see api.ratelimit)."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        for operation in (operations or {}).values():
            limited = not set(operation.get("tags", ())) & set(UNLIMITED)
            responses = operation.setdefault("responses", {})
            # The HTTP server's own bounds (api.limits) apply to every request.
            responses.setdefault("414", "REQUEST_URI_TOO_LONG")
            responses.setdefault("431", "REQUEST_HEADER_FIELDS_TOO_LARGE")
            if limited:
                responses.setdefault("429", "TOO_MANY_REQUESTS")
            for response in responses.values():
                if not isinstance(response, dict):
                    continue  # a shared component: it documents its own headers
                headers = response.setdefault("headers", {})
                headers["X-Request-Id"] = "X-Request-Id"
                if limited:
                    headers.update({name: name for name in RATE_HEADERS})
            if not limited:
                operation.setdefault("security", [])

"""What every answer says about itself: trusted hosts, CORS, no sniffing, a content policy.

``Host`` is checked against an allow-list (Flask's ``TRUSTED_HOSTS``): a request naming
another host is a 400, so links built from it (``Location``) can never point elsewhere.
Browsers on other origins may call the API only from ``STORYRECORDS_CORS_ORIGINS``; keys
travel in ``Authorization``, never in cookies, so credentials are never allowed.
"""

from __future__ import annotations

import os

from flask import Flask, Response
from flask_cors import CORS

from api.config import LOCAL_HOSTS, Settings
from api.ratelimit import HEADERS as RATE_HEADERS
from api.request_ids import HEADER as REQUEST_ID

#: JSON and YAML answers run nothing and embed nothing; the docs page sets its own policy.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
EXPOSED = ("Location", "Retry-After", "ETag", "Preference-Applied", *RATE_HEADERS, REQUEST_ID)


def trusted_hosts(settings: Settings) -> list[str] | None:
    """Flask's TRUSTED_HOSTS: the configured list (``*``: any), else the local names."""
    hosts = settings.trusted_hosts if settings.trusted_hosts is not None else LOCAL_HOSTS
    return None if "*" in hosts else list(hosts)


def init_app(app: Flask, settings: Settings) -> None:
    """Host check, CORS and the headers every response carries."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts(settings)
    if settings.cors_origins:
        CORS(
            app,
            origins=list(settings.cors_origins),
            methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "Prefer", REQUEST_ID],
            expose_headers=list(EXPOSED),
            supports_credentials=False,
            max_age=600,
            vary_header=True,
        )

    @app.after_request
    def _safe(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Content-Security-Policy", API_POLICY)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if settings.served_by_header:
            response.headers["X-Served-By"] = str(os.getpid())
        return response

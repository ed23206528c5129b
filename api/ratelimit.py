"""Rate limits (flask-limiter): one budget per API key, or per client address without one.

The budget (``STORYRECORDS_RATE_LIMIT``, e.g. ``600/minute``) is shared by every endpoint
and, with ``STORYRECORDS_RATE_LIMIT_STORAGE=redis://…``, by every worker and instance; the
default ``memory://`` counts in each worker alone, which is right only for one worker (the
quick start). Answers carry ``RateLimit-Limit``/``-Remaining``/``-Reset`` (the IETF draft:
Reset in seconds); a 429 adds ``Retry-After``. Health probes are never limited.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, request
from flask_limiter import Limiter

from api.auth import caller
from api.config import Settings
from api.services import services
from indexer.errors import StoreUnavailable

log = logging.getLogger(__name__)

HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
#: Blueprints outside the budget: an orchestrator's probe must never be told to wait.
UNLIMITED = ("health",)
OFF = ("", "off", "none")


def bucket() -> str:
    """Whose budget a request spends: its valid key's, else its address's."""
    try:
        who = caller(services().keys())
    except StoreUnavailable:  # the view answers 503; count the attempt against the address
        who = None
    if who is not None and who.key is not None:
        return f"key:{who.key.key_id}"
    return f"addr:{request.remote_addr}"


def _exempt() -> bool:
    return request.method == "OPTIONS" or request.blueprint in UNLIMITED


def init_app(app: Flask, settings: Settings) -> Limiter | None:
    """Install the limiter; None when ``STORYRECORDS_RATE_LIMIT`` is ``off``."""
    if settings.rate_limit.strip().lower() in OFF:
        return None
    limiter = Limiter(
        bucket,
        app=app,
        application_limits=[settings.rate_limit],
        storage_uri=settings.rate_limit_storage,
        strategy="fixed-window",
        key_prefix="storyrecords",
        headers_enabled=False,  # its Reset is a timestamp; the draft's is seconds (below)
        # Redis down: count in each worker's memory until it is back, rather than refusing
        # every request or letting all through unmetered.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.request_filter(_exempt)

    @app.after_request
    def _rate_headers(response: Response) -> Response:
        current = limiter.current_limit
        if current is None:
            return response
        try:
            window = current.window
            reset = max(0, math.ceil(window.reset_time - time.time()))
            remaining = max(0, window.remaining)
        except Exception:  # storage gone between the check and now: no headers, no failure
            log.warning("rate-limit storage unreachable while writing headers", exc_info=True)
            return response
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(reset)
        if response.status_code == 429:
            response.headers["Retry-After"] = str(max(1, reset))
        return response

    return limiter

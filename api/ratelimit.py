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
import threading
import time
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from limits.storage import MemoryStorage

from api.auth import caller
from api.config import Settings
from api.services import services
from indexer.errors import StoreUnavailable

log = logging.getLogger(__name__)

HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
#: Blueprints outside the budget: an orchestrator's probe must never be told to wait.
UNLIMITED = ("health",)
OFF = ("", "off", "none")


class SweptMemoryStorage(MemoryStorage):
    """limits' ``memory://`` without a thread started per request.

    MemoryStorage starts a timer thread on every hit that comes more than 10 ms after the one
    before, only to drop windows that have run out: at a few requests a second that is a
    thread start (and a wait for it to run) in every request, about 1 ms of a 9 ms search
    on two busy cores. A window that has run out is already ignored when it is read (``get``);
    the sweep only frees the memory of callers who do not come back, so here it runs in the
    request itself, at most once a second.
    """

    STORAGE_SCHEME = ["storyrecords-memory"]  # noqa: RUF012 (limits reads the class attribute)
    SWEEP_EVERY_S = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = time.monotonic() + self.SWEEP_EVERY_S
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # what incr() calls on every hit
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_EVERY_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweeping.release()


def storage_uri(configured: str) -> str:
    """The limits storage for ``STORYRECORDS_RATE_LIMIT_STORAGE``: ``memory://`` is swept inline."""
    if configured.startswith("memory://"):
        return "storyrecords-memory://" + configured.removeprefix("memory://")
    return configured


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
        storage_uri=storage_uri(settings.rate_limit_storage),
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

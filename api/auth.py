"""Who is calling: the ``Authorization: Bearer`` key of a request, checked against the store.

Each worker remembers what it looked up for :data:`CACHE_SECONDS`, so a key costs one store
lookup every few seconds however busy it is, and a revoked key is refused everywhere within
that time. The key itself is never logged or echoed; only its name and public id are used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, g, request

from api.errors import forbidden, unauthorized
from indexer.errors import StoreUnavailable
from indexer.keys import CACHE_SECONDS, KeyRecord, KeyRing, key_id_of, matches
from indexer.timefmt import now_iso

log = logging.getLogger(__name__)

TOUCH_SECONDS = 60  # "last used" is kept to the minute, not written on every request
_CACHE_SIZE = 4096  # bounded: clients sending made-up keys cannot grow it


@dataclass
class _Entry:
    record: KeyRecord | None
    expires: float
    touched: float = float("-inf")


class KeyCache:
    """Short-lived, bounded memory of key lookups for one worker (thread-safe)."""

    def __init__(
        self, ring: Callable[[], KeyRing], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ring = ring
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, key: str) -> KeyRecord | None:
        """The record of a valid key, or None; StoreUnavailable when it cannot be checked."""
        key_id = key_id_of(key)
        if key_id is None:
            return None
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key_id)
        if entry is None or entry.expires <= now:
            entry = _Entry(self._ring().find(key_id), now + CACHE_SECONDS,
                           entry.touched if entry else float("-inf"))
            with self._lock:
                self._entries[key_id] = entry
                self._entries.move_to_end(key_id)
                while len(self._entries) > _CACHE_SIZE:
                    self._entries.popitem(last=False)
        record = entry.record
        if record is None or not matches(record, key):
            return None
        if now - entry.touched >= TOUCH_SECONDS:
            entry.touched = now
            self._touch(record)
        return record

    def _touch(self, record: KeyRecord) -> None:
        try:
            self._ring().touch(record.key_id, now_iso())
        except StoreUnavailable as exc:  # last-used is a convenience; never fail a request on it
            log.warning("could not record the use of key %s: %s", record.name, exc)


@dataclass(frozen=True)
class Caller:
    """The request's credentials: a valid key, none at all, or a key that is not valid."""

    key: KeyRecord | None = None
    invalid: bool = False


def caller(cache: KeyCache) -> Caller:
    """Who sent this request (looked up once per request)."""
    found: Caller | None = g.get("caller")
    if found is not None:
        return found
    header = request.headers.get("Authorization")
    if header is None:
        found = Caller()
    else:
        scheme, _, token = header.partition(" ")
        record = cache.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        found = Caller(key=record, invalid=record is None)
    g.caller = found
    return found


def authorize(cache: KeyCache, scope: str, *, open_read: bool) -> Response | None:
    """None when the caller may do what ``scope`` guards, else the 401 or 403 to answer."""
    who = caller(cache)
    if who.invalid:
        return unauthorized(
            "The API key sent is not valid (unknown, revoked or malformed); send a valid key "
            "or none for open reads.",
            invalid=True,
        )
    if who.key is None:
        if scope == "read" and open_read:
            return None
        return unauthorized(
            f"This needs an API key with the {scope} scope: send Authorization: Bearer <key>.",
            invalid=False,
        )
    if not who.key.allows(scope):
        return forbidden(scope)
    return None

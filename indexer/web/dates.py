"""Publication times as pages and feeds write them, turned into the one form the store takes."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime

from indexer.timefmt import normalise_published

_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_]|$)"
)
_ISO_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


def to_published(raw: str | None) -> str | None:
    """RFC 3339 with offset, or ``YYYY-MM-DD`` when the source gives no offset; else None.

    Accepts ISO 8601 (``2019-11-19T10:00:00Z``, ``...+0100``, a bare date) and RFC 822
    (``Tue, 19 Nov 2019 10:00:00 GMT``, as RSS writes it). A time without an offset keeps
    only its date: guessing the zone would move the day for half the world.
    """
    if not raw:
        return None
    value = raw.strip()[:64]
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            match = _ISO_PREFIX.match(value)
            return _valid(match.group(0)) if match else None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return _valid(parsed.date().isoformat())
    return _valid(parsed.isoformat(timespec="seconds"))


def date_in_url(url: str | None) -> str | None:
    """``/2019/11/19/`` or ``/2019-11-19-`` in a URL path, as ``YYYY-MM-DD``."""
    if not url:
        return None
    found = _URL_DATE.search(url)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    return _valid(f"{year:04d}-{month:02d}-{day:02d}")


def _valid(value: str) -> str | None:
    try:
        return normalise_published(value)
    except ValueError:
        return None

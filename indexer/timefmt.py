"""Publication times: accept an ISO date or datetime, compare everything in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

#: Years a publication time or a date filter may name: every bound stays a valid date in UTC.
MIN_YEAR, MAX_YEAR = 1, 9998
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)
_RFC3339 = "an RFC 3339 date-time with offset (2022-01-11T09:30:00+01:00) or a date (2022-01-11)"


def parse_day(value: str) -> date:
    """A ``YYYY-MM-DD`` day within the supported years; ValueError naming the rule otherwise."""
    if _DATE.fullmatch(value) is None:
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value} is not a calendar date") from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"must lie between {MIN_YEAR:04d}-01-01 and {MAX_YEAR}-12-31")
    return day


def normalise_published(value: str) -> str:
    """The one stored form of a publication time, or ValueError.

    A date stays ``YYYY-MM-DD``; a date-time keeps its offset (local dates in the text are
    resolved in the writer's time zone) with ``Z`` for UTC and at most microseconds.
    """
    if _DATE.fullmatch(value):
        return parse_day(value).isoformat()
    found = _DATETIME.fullmatch(value)
    if found is None:
        raise ValueError(f"must be {_RFC3339}")
    day, hh, mm, ss, fraction, offset = found.groups()
    parse_day(day)
    micro = (fraction or "").ljust(6, "0")[:6]
    zone = "+00:00" if offset in ("Z", "z") else offset
    text = f"{day}T{hh}:{mm}:{ss}" + (f".{micro}" if fraction else "") + zone
    try:
        parsed = datetime.fromisoformat(text)
        in_utc = parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{value} is not a valid time") from exc
    if not MIN_YEAR <= in_utc.year <= MAX_YEAR:
        raise ValueError(f"must lie between {MIN_YEAR:04d}-01-01 and {MAX_YEAR}-12-31 in UTC")
    return text.replace("+00:00", "Z") if zone == "+00:00" else text


def parse_published(value: str) -> datetime:
    """Parse an ISO 8601 date or datetime; naive values are taken as UTC. Raises ValueError."""
    text = value.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def utc_iso(value: str | None) -> str | None:
    """Normalised sortable form, e.g. ``2022-01-11T00:00:00Z``."""
    if value is None:
        return None
    return parse_published(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(day: str) -> str:
    """Inclusive lower bound of a ``YYYY-MM-DD`` filter."""
    return f"{date.fromisoformat(day).isoformat()}T00:00:00Z"


def day_after(day: str) -> str:
    """Exclusive upper bound of a ``YYYY-MM-DD`` filter (so the whole day is included)."""
    return f"{(date.fromisoformat(day) + timedelta(days=1)).isoformat()}T00:00:00Z"


def now_iso() -> str:
    """Current UTC time with microseconds, as stored in ``indexed_at``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_to_us(value: str) -> int:
    """Microseconds since the epoch of an ``indexed_at`` value (the cursor snapshot unit)."""
    parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return int(parsed.timestamp()) * 1_000_000 + parsed.microsecond

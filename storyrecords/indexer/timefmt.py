"""Publication times: accept an ISO date or datetime, compare everything in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


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

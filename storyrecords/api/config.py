"""Settings from ``STORYRECORDS_*`` environment variables, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Everything the API and CLI can be configured with; flags override these."""

    data_dir: Path = field(default_factory=lambda: Path(".data"))
    elasticsearch_url: str | None = None
    elasticsearch_index: str = "storyrecords"
    max_body_bytes: int = 1_048_576
    max_bulk_bytes: int = 16_777_216
    retry_after_seconds: int = 5

    @classmethod
    def from_env(cls) -> Settings:
        """Read ``STORYRECORDS_*`` variables, falling back to the defaults above."""
        return cls(
            data_dir=Path(os.environ.get("STORYRECORDS_DATA_DIR") or ".data"),
            elasticsearch_url=os.environ.get("STORYRECORDS_ELASTICSEARCH_URL") or None,
            elasticsearch_index=os.environ.get("STORYRECORDS_ELASTICSEARCH_INDEX")
            or "storyrecords",
            max_body_bytes=_env_int("STORYRECORDS_MAX_BODY_BYTES", 1_048_576),
            max_bulk_bytes=_env_int("STORYRECORDS_MAX_BULK_BYTES", 16_777_216),
            retry_after_seconds=_env_int("STORYRECORDS_RETRY_AFTER", 5),
        )

"""Where the store lives and how to reach it, read from ``STORYRECORDS_*`` variables once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def env_int(name: str, default: int) -> int:
    """A whole-number variable, or ``default`` when unset; a clear error when it is not a number."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _optional_path(name: str) -> Path | None:
    """A path variable, or ``None`` when unset or empty."""
    raw = os.environ.get(name)
    return Path(raw) if raw else None


@dataclass(frozen=True)
class StoreSettings:
    """What every command that touches the store needs; the API's settings extend it."""

    data_dir: Path = field(default_factory=lambda: Path(".data"))
    elasticsearch_url: str | None = None
    elasticsearch_index: str = "storyrecords"
    retry_after_seconds: int = 5
    #: Sent as ``Authorization: ApiKey ...``; out of ``repr`` so a logged settings object hides it.
    elasticsearch_api_key: str | None = field(default=None, repr=False)
    #: PEM file the server's TLS certificate must chain to (else the system trust store).
    elasticsearch_ca_certs: Path | None = None

    @classmethod
    def store_env(cls) -> dict[str, object]:
        """The store fields from the environment, for ``from_env`` of this class and subclasses."""
        return {
            "data_dir": Path(os.environ.get("STORYRECORDS_DATA_DIR") or ".data"),
            "elasticsearch_url": os.environ.get("STORYRECORDS_ELASTICSEARCH_URL") or None,
            "elasticsearch_index": os.environ.get("STORYRECORDS_ELASTICSEARCH_INDEX")
            or "storyrecords",
            "retry_after_seconds": env_int("STORYRECORDS_RETRY_AFTER", 5),
            "elasticsearch_api_key": os.environ.get("STORYRECORDS_ELASTICSEARCH_API_KEY") or None,
            "elasticsearch_ca_certs": _optional_path("STORYRECORDS_ELASTICSEARCH_CA_CERTS"),
        }

    @classmethod
    def from_env(cls) -> StoreSettings:
        """Read ``STORYRECORDS_*`` variables, falling back to the defaults above."""
        return cls(**cls.store_env())  # type: ignore[arg-type]

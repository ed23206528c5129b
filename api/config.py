"""The API's settings: the store's, plus request limits, from ``STORYRECORDS_*`` variables."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.settings import StoreSettings, env_int


@dataclass(frozen=True)
class Settings(StoreSettings):
    """Everything the API can be configured with; CLI flags override these."""

    max_body_bytes: int = 1_048_576
    max_bulk_bytes: int = 16_777_216

    @classmethod
    def from_env(cls) -> Settings:
        """Read ``STORYRECORDS_*`` variables, falling back to the defaults above."""
        return cls(
            **cls.store_env(),  # type: ignore[arg-type]
            max_body_bytes=env_int("STORYRECORDS_MAX_BODY_BYTES", 1_048_576),
            max_bulk_bytes=env_int("STORYRECORDS_MAX_BULK_BYTES", 16_777_216),
        )

"""The API's settings: the store's, plus request limits and security, from ``STORYRECORDS_*``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from indexer.jobs import JobSettings
from indexer.settings import StoreSettings, env_int

#: Host names every deployment answers to; ``STORYRECORDS_TRUSTED_HOSTS`` replaces them.
#: (Werkzeug's check cannot match IPv6 literals such as ``[::1]``: use a name for those.)
LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1")


def env_bool(name: str, default: bool) -> bool:
    """``true``/``false`` (also 1/0, yes/no); a clear error for anything else."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def env_list(name: str) -> tuple[str, ...] | None:
    """A comma-separated list, or None when the variable is unset."""
    raw = os.environ.get(name)
    if raw is None:
        return None
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings(StoreSettings):
    """Everything the API can be configured with; CLI flags override these."""

    max_body_bytes: int = 1_048_576
    max_bulk_bytes: int = 67_108_864
    max_bulk_lines: int = 500
    #: Lines one bulk job may hold (a bigger batch is a 413: send it as several jobs).
    max_job_lines: int = 100_000
    #: Run bulk jobs in a background thread of each API process (``storyrecords jobs run``
    #: works them too). On when served (``from_env``: ``STORYRECORDS_JOB_WORKER``, default
    #: true); off in an app built from bare ``Settings()`` (tests, tools), which then only
    #: stores jobs.
    job_worker: bool = False
    jobs: JobSettings = field(default_factory=JobSettings)
    #: Largest web page taken (``html``, or a ``text/html`` body), after decompression.
    max_page_bytes: int = 5_000_000
    #: Keep each posted page's HTML in its record (``page.html``); off: only its hash.
    store_html: bool = False
    #: Reads need a ``read`` key too (writes always need ``write``).
    require_read_key: bool = False
    #: Origins a browser may call the API from; empty: no cross-origin access.
    cors_origins: tuple[str, ...] = ()
    #: Requests per key (or per client address without one), in flask-limiter's notation.
    rate_limit: str = "600/minute"
    #: Where the counts live; ``memory://`` counts per worker, so serve several with Redis.
    rate_limit_storage: str = "memory://"
    #: Signs cursors; None: one generated once and kept in the data directory.
    secret_key: str | None = None
    #: ``Host`` values answered; None: :data:`LOCAL_HOSTS` (serve adds its own --host).
    trusted_hosts: tuple[str, ...] | None = None
    #: Name the serving worker's pid in ``X-Served-By`` (to see load spread; off by default).
    served_by_header: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        """Read ``STORYRECORDS_*`` variables, falling back to the defaults above."""
        return cls(
            **cls.store_env(),  # type: ignore[arg-type]
            max_body_bytes=env_int("STORYRECORDS_MAX_BODY_BYTES", 1_048_576),
            max_bulk_bytes=env_int("STORYRECORDS_MAX_BULK_BYTES", 67_108_864),
            max_bulk_lines=env_int("STORYRECORDS_MAX_BULK_LINES", 500),
            max_job_lines=env_int("STORYRECORDS_MAX_JOB_LINES", 100_000),
            job_worker=env_bool("STORYRECORDS_JOB_WORKER", True),
            jobs=JobSettings.from_env(),
            max_page_bytes=env_int("STORYRECORDS_MAX_PAGE_BYTES", 5_000_000),
            store_html=env_bool("STORYRECORDS_STORE_HTML", False),
            require_read_key=env_bool("STORYRECORDS_REQUIRE_READ_KEY", False),
            cors_origins=env_list("STORYRECORDS_CORS_ORIGINS") or (),
            rate_limit=os.environ.get("STORYRECORDS_RATE_LIMIT") or "600/minute",
            rate_limit_storage=os.environ.get("STORYRECORDS_RATE_LIMIT_STORAGE") or "memory://",
            secret_key=os.environ.get("STORYRECORDS_SECRET_KEY") or None,
            trusted_hosts=env_list("STORYRECORDS_TRUSTED_HOSTS"),
            served_by_header=env_bool("STORYRECORDS_SERVED_BY", False),
        )

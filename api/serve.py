"""Run the API under gunicorn with settings from the CLI; the NLP model loads before forking."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from api.app import create_app
from api.config import Settings


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._app


def run(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted; workers share the model loaded here (copy-on-write)."""
    from indexer.pipeline import default_pipeline

    default_pipeline().extract("Warm-up: talks in Geneva on Monday.")
    app = create_app(settings)
    _Server(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": "-",
            "preload_app": True,
            # The app answers over-long URLs itself (414 as problem+json); gunicorn's own
            # limit would answer with an HTML page instead.
            "limit_request_line": 0,
        },
    ).run()

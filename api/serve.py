"""Run the API under gunicorn with settings from the CLI; the NLP model loads before forking.

gunicorn bounds what it parses before the app sees a request (request line, header count and
size: :mod:`api.limits`), and answers what it refuses as problem+json like the app does. It
names no server software in ``Server``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import replace
from http import HTTPStatus
from typing import Any

import gunicorn.http.wsgi
import gunicorn.util
from gunicorn.app.base import BaseApplication

from api.app import create_app
from api.config import LOCAL_HOSTS, Settings
from api.errors import PROBLEM_JSON, problem_body
from api.limits import MAX_HEADERS, MAX_REQUEST_LINE
from api.request_ids import new_id
from api.services import Services
from indexer.ingest import EXTRACTOR_VARIABLE

log = logging.getLogger("gunicorn.error")

#: What the HTTP layer tells a client it refused, instead of echoing the request back.
_REFUSALS = {
    414: f"The request line is longer than {MAX_REQUEST_LINE} bytes.",
    431: f"More than {MAX_HEADERS} headers, or a header line longer than {MAX_REQUEST_LINE} "
    "bytes.",
}


def _write_problem(sock: Any, status: int, reason: str, mesg: str) -> None:
    """gunicorn's error writer, answering problem+json (its own writes an HTML page)."""
    rid = new_id()
    detail = _REFUSALS.get(status, "The request could not be read as HTTP/1.1.")
    if status >= 500:
        detail = "An unexpected error occurred; it has been logged with request_id."
    log.warning("request %s: refused by the HTTP server: %s %s", rid, status, mesg)
    body = json.dumps(problem_body(status, detail, rid)).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nConnection: close\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n"
        f"X-Request-Id: {rid}\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


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


def serving_settings(settings: Settings, host: str) -> Settings:
    """The settings as served: the listening host is trusted unless the list is configured."""
    if settings.trusted_hosts is not None or host in ("0.0.0.0", "::", ""):
        return settings
    return replace(settings, trusted_hosts=tuple(dict.fromkeys((*LOCAL_HOSTS, host))))


def _warm(found: Services) -> None:
    try:
        found.store().warm()
    except Exception:  # a store that is down now is reported by the requests that need it
        log.warning("could not warm the store up", exc_info=True)


def run(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted; workers share the model loaded here (copy-on-write)."""
    from indexer.pipeline import default_pipeline

    if workers > 1 and settings.rate_limit_storage.startswith("memory://"):
        log.warning(
            "rate limits are counted in each of the %d workers' memory, so a client gets up to "
            "%d times STORYRECORDS_RATE_LIMIT; set STORYRECORDS_RATE_LIMIT_STORAGE=redis://...",
            workers, workers,
        )
    if os.environ.get(EXTRACTOR_VARIABLE, "").strip().lower() != "none":
        default_pipeline().extract("Warm-up: talks in Geneva on Monday.")
    app = create_app(serving_settings(settings, host))
    found: Services = app.extensions["storyrecords"]

    def start_jobs(_worker: Any) -> None:  # in each worker, after the fork
        found.job_worker().start()
        # The embedded store's facet memo takes seconds to build at 100k articles: build it
        # now, beside the first requests, rather than inside the first search.
        threading.Thread(target=_warm, args=(found,), name="store-warm", daemon=True).start()

    def stop_jobs(_server: Any, _worker: Any) -> None:  # hand the job in progress back
        found.job_worker().stop()

    gunicorn.util.write_error = _write_problem
    gunicorn.http.wsgi.SERVER = "storyrecords"  # no software name or version in Server
    _Server(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # Each worker's heartbeat touches a file in every loop of its main thread: on
            # tmpfs that is a memory write, not a disk inode update.
            "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
            "timeout": 120,
            "accesslog": "-",
            # The request id beside each access line, to find the log lines it names.
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(D)sus id=%({x-request-id}o)s',
            "preload_app": True,
            "limit_request_line": MAX_REQUEST_LINE,
            "limit_request_fields": MAX_HEADERS,
            "limit_request_field_size": MAX_REQUEST_LINE,
            # The bulk-job thread of each worker (api.jobs.worker): started when the worker
            # boots, so a job whose worker was killed is resumed by its replacement too.
            "post_worker_init": start_jobs,
            "worker_exit": stop_jobs,
        },
    ).run()

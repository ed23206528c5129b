"""The background thread of one API process that works bulk jobs.

It is started lazily (by the first request the process answers, by a job submitted here, or
by gunicorn when a worker boots), never at import or app creation; it sleeps for good after
:data:`IDLE_EXIT_S` without any unfinished job anywhere and starts again on the next request.
:meth:`JobWorker.stop` lets go of the job in hand (it goes back to the queue at once) and ends
the thread; gunicorn calls it when a worker exits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from indexer.ingest import Indexer
from indexer.job_runner import JobRunner
from indexer.jobs import JobSettings, JobStore

log = logging.getLogger(__name__)

#: An idle thread ends after this long without any unfinished job (another request restarts it).
IDLE_EXIT_S = 60.0


class JobWorker:
    """Owns at most one thread running a :class:`JobRunner` for this process."""

    def __init__(
        self,
        jobs: Callable[[], JobStore],
        indexer: Callable[[], Indexer],
        settings: JobSettings,
        *,
        enabled: bool = True,
        idle_exit_s: float = IDLE_EXIT_S,
    ) -> None:
        self.enabled = enabled
        self._idle_exit_s = idle_exit_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.runner = JobRunner(jobs, indexer, settings, stop=self._stop)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start the thread unless it runs (or this worker is disabled or stopped)."""
        if not self.enabled or self.running or self._stop.is_set():
            return
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name="storyrecords-jobs", daemon=True
            )
            self._thread.start()

    def wake(self, job_id: str | None = None) -> None:
        """A job was submitted here: look at it now (starting the thread if need be)."""
        if job_id is not None:
            self.runner.hint(job_id)
        self._wake.set()  # before start(): a thread about to go idle sees it and stays
        self.start()

    def stop(self, timeout: float = 20.0) -> None:
        """Hand the job in progress back to the queue and end the thread."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        log.info("job worker %s started", self.runner.worker)
        while True:
            self.runner.serve(idle_exit_s=self._idle_exit_s, wake=self._wake)
            with self._lock:
                if self._wake.is_set() and not self._stop.is_set():
                    continue  # woken while going idle: a job just came in
                self._thread = None
                log.info("job worker %s %s", self.runner.worker,
                         "stopped" if self._stop.is_set() else "idle, sleeping")
                return

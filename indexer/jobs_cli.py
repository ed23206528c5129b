"""``storyrecords jobs``: work bulk jobs from the command line, and list them.

``jobs run`` is a job worker like the API's background threads (same lease, same
compare-and-set claims), so it can run beside a live API, or drain the queue with no API
running. Stopping it (Ctrl-C, SIGTERM) hands the job in progress back to the queue.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import asdict
from typing import Any

import click

from indexer import ingest
from indexer.cli import open_configured_store, settings_of, store_options
from indexer.errors import StoreUnavailable
from indexer.ingest import Indexer
from indexer.job_runner import JobRunner
from indexer.jobs import JobSettings


def _group() -> None:
    """Bulk jobs: big NDJSON batches that POST /v1/articles/bulk accepted with 202."""


# Annotated, not decorated: indexer.cli imports this module while it is itself importing.
jobs: click.Group = click.group(name="jobs")(_group)


@jobs.command()
@store_options
@click.option("--follow", is_flag=True,
              help="Keep looking for new jobs until stopped, instead of exiting once no job is "
              "left unfinished.")
@click.pass_context
def run(ctx: click.Context, follow: bool) -> None:
    """Work queued jobs (and take over those whose worker stopped renewing its lease).

    Exits 0 once no job is unfinished (jobs other workers hold are waited for), 3 when the
    store is unreachable. The lease, batch size, progress interval and poll interval come
    from STORYRECORDS_JOB_LEASE_SECONDS, STORYRECORDS_JOB_BATCH_LINES,
    STORYRECORDS_JOB_PROGRESS_LINES and STORYRECORDS_JOB_POLL_SECONDS.
    """
    store = open_configured_store(settings_of(ctx))
    extract, version = ingest.default_extractor()
    indexer = Indexer(store, extract, version)
    stop = threading.Event()
    runner = JobRunner(store.jobs, lambda: indexer, JobSettings.from_env(), stop=stop)

    def ask_to_stop(signum: int, _frame: Any) -> None:
        click.echo(f"stopping ({signal.Signals(signum).name}): handing the job back", err=True)
        stop.set()

    # Only while it runs: a handler left behind would be inherited by anything this process
    # forks later (called in-process, from tests or another command).
    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worked = runner.drain(follow=follow)
    except StoreUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.close()
    click.echo(f"worked on {worked} job(s) as {runner.worker}", err=True)


@jobs.command(name="list")
@store_options
@click.option("--limit", type=int, default=20, help="How many of the newest jobs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def list_jobs(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The newest jobs: status, lines done of total, counts."""
    store = open_configured_store(settings_of(ctx))
    try:
        found = store.jobs().recent(limit)
    except StoreUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    finally:
        store.close()
    for job in found:
        if as_json:
            record = asdict(job)
            record.pop("chunk_starts", None)
            click.echo(json.dumps(record, sort_keys=True))
            continue
        click.echo(
            f"{job.id}  {job.status:<7}  {job.done}/{job.total} lines  created {job.created}, "
            f"unchanged {job.unchanged}, rejected {job.rejected}  submitted {job.created_at}"
            + (f"  held by {job.holder}" if job.holder else "")
            + (f"  error: {job.error}" if job.error else "")
        )

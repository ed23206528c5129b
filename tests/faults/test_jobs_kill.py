"""An API worker SIGKILLed in the middle of a bulk job; another worker resumes it, and every
accepted line ends up stored exactly once. Both backends.

The batch is sent with ``Prefer: respond-async`` to ``storyrecords serve --workers 2``: the
202 comes once the whole body is stored. ``STORYRECORDS_JOB_THROTTLE_MS`` (test only) slows
each line down so the kill lands mid-job; a short lease (``STORYRECORDS_JOB_LEASE_SECONDS``)
makes the takeover quick. The worker holding the job is found from the job's record (its
``holder`` names the pid) and killed with SIGKILL: it records nothing more. The surviving
worker, or the one gunicorn starts in its place, sees the record unchanged for a whole lease,
takes the job over by compare-and-set and goes on from the last recorded line; the lines the
dead worker had stored since are ingested again and come out ``unchanged``. Extraction is off
(``STORYRECORDS_EXTRACTOR=none``); Elasticsearch is the shared server under a fresh prefix
(nothing here breaks it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from indexer import ids
from tests.faults.es_instance import wait_for
from tests.faults.support import (
    NO_NLP,
    Backend,
    assert_each_in_one_event,
    check_cli,
    duplicates,
    elapsed,
    figures,
    serve,
)

pytestmark = pytest.mark.slow

LINES = 240
PLACES = ("Geneva", "Vienna", "Brussels", "Minsk", "Oslo", "Ankara")
PARTIES = ("NATO", "Russia", "Ukraine", "the OSCE", "the United States", "the EU")


def _texts() -> list[str]:
    return [
        f"Delegations of {PARTIES[n % 6]} and {PARTIES[(n // 6) % 6]} met in "
        f"{PLACES[(n // 36) % 6]} on Monday for round {n} of the talks about grain exports, "
        f"ceasefire lines and prisoner exchange number {n * 7 + 3}."
        for n in range(LINES)
    ]


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE).group(1))  # type: ignore[union-attr]


def test_a_worker_killed_mid_job_is_replaced_and_no_accepted_line_is_lost_or_doubled(
    backend: Backend, tmp_path: Path, record_property: Any
) -> None:
    env = {**backend.env, **NO_NLP,
           "STORYRECORDS_JOB_THROTTLE_MS": "40",
           "STORYRECORDS_JOB_LEASE_SECONDS": "3",
           "STORYRECORDS_JOB_PROGRESS_LINES": "10",
           "STORYRECORDS_JOB_BATCH_LINES": "5",
           "STORYRECORDS_JOB_POLL_SECONDS": "0.2"}
    texts = _texts()
    body = "".join(json.dumps({"text": t, "source": "jobs-kill"}) + "\n" for t in texts)
    wanted = {ids.article_id(t, None) for t in texts}
    assert len(wanted) == LINES
    began = time.monotonic()
    store = backend.open()
    with serve(env, tmp_path, workers=2) as server:
        accepted = requests.post(
            f"{server.base}/v1/articles/bulk", data=body.encode(), timeout=120,
            headers={**server.auth, "Content-Type": "application/x-ndjson",
                     "Prefer": "respond-async"})
        assert accepted.status_code == 202, accepted.text[:500]
        job_id = accepted.json()["id"]
        location = f"{server.base}{accepted.headers['Location']}"

        def record() -> Any:
            return store.jobs().get(job_id)[0]

        wait_for(lambda: record().done >= 40, "the job to get going", timeout=120)
        held = record()
        assert held.status == "running" and held.holder, held
        victim = int(held.holder.split(":")[1])
        assert _parent(victim) == server.proc.pid, "the job runs in a gunicorn worker"
        os.kill(victim, signal.SIGKILL)
        killed_at = record().done
        assert killed_at < LINES, "the kill landed mid-job"

        def finished() -> bool:
            answer = requests.get(location, headers=server.auth, timeout=30)
            return bool(answer.status_code == 200 and answer.json()["status"] == "done")

        wait_for(finished, "another worker to finish the job", timeout=300)
        job = requests.get(location, headers=server.auth, timeout=30).json()
        results: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            page = requests.get(f"{location}/results", params={"offset": offset, "size": 100},
                                headers=server.auth, timeout=30).json()
            results += page["results"]
            offset = page["next_offset"]
        final = record()
        log = server.log_text()

    assert job["total"] == job["done"] == LINES
    assert job["created"] + job["unchanged"] == LINES and job["rejected"] == 0
    assert job["attempts"] >= 2, "claimed again after the kill"
    assert [r["line"] for r in results] == list(range(1, LINES + 1)), "one result per line"
    assert {r["id"] for r in results} == wanted
    assert {r["status"] for r in results} <= {"created", "unchanged"}
    heirs = {h.split(":")[1] for h in re.findall(r"taken over from \S+ by (\S+)", log)}
    assert heirs and str(victim) not in heirs, "another worker took it over"
    assert final.holder is None and final.epoch == job["attempts"]
    store.refresh()
    stored = store.get_articles(sorted(wanted))
    assert len(stored) == LINES, "every accepted line is stored"
    assert store.count_articles() == LINES and duplicates(store) == 0, "and only once"
    assert_each_in_one_event(store, wanted)
    code, report = check_cli(backend.env)
    assert code == 0, report
    store.close()
    figures(record_property, backend=backend.name, lines=LINES, killed_at=killed_at,
            attempts=job["attempts"], unchanged=job["unchanged"], seconds=elapsed(began))

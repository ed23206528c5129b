"""An API worker SIGKILLed in the middle of a POST, between storing the article and assigning
it to an event; the client's retry of the same POST finishes the job. Both backends.

The kill lands there every time: ``STORYRECORDS_FAILPOINT=after-put`` stops the process that
reaches that point in ``Indexer.ingest`` (it prints ``FAILPOINT after-put pid=N`` and waits).
``STORYRECORDS_FAILPOINT_ONCE=FILE`` arms it for one arrival only: the worker gunicorn starts
in place of the killed one inherits the same environment, and must let the retry (and every
later write) through.

Why the retry is safe: the article's ``event_id`` is the one record of membership, written
compare-and-set on the article's version; ingest of content already stored returns the
stored record and finishes its assignment if a crash left it undone (200, not 201: this
request did not create it). The store is never broken here, so Elasticsearch is the shared
server under a fresh index prefix. Extraction is off (``STORYRECORDS_EXTRACTOR=none``).
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from indexer.check import IN_ONE_EVENT, check
from tests.faults.es_instance import wait_for
from tests.faults.support import (
    NO_NLP,
    Backend,
    article_id,
    assert_each_in_one_event,
    check_cli,
    duplicates,
    ecbplus_docs,
    elapsed,
    figures,
    serve,
    wait_for_line,
)

pytestmark = pytest.mark.slow


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE).group(1))  # type: ignore[union-attr]


def test_a_worker_killed_between_put_and_assign(
    backend: Backend, tmp_path: Path, record_property: Any
) -> None:
    """POST, the worker stops at the failpoint and is SIGKILLed: the client sees the
    connection drop; the article is stored but in no event. The same POST again answers 200
    with the article in exactly one event; a new article is indexed normally; check is clean.
    """
    marker = tmp_path / "failpoint.fired"
    env = {**backend.env, **NO_NLP, "STORYRECORDS_FAILPOINT": "after-put",
           "STORYRECORDS_FAILPOINT_ONCE": str(marker)}
    first, later = ecbplus_docs()[:2]
    began = time.monotonic()
    with serve(env, tmp_path, workers=2) as server:
        outcome: dict[str, Any] = {}

        def post() -> None:
            try:
                outcome["response"] = server.post(first, timeout=120)
            except requests.RequestException as exc:
                outcome["error"] = exc

        client = threading.Thread(target=post)
        client.start()
        line = wait_for_line(server.log, "FAILPOINT after-put", proc=server.proc)
        worker = int(line.rsplit("pid=", 1)[1])
        assert _parent(worker) == server.proc.pid, "the failpoint stopped a worker, not the master"
        assert marker.read_text().strip() == str(worker)
        os.kill(worker, signal.SIGKILL)
        client.join(timeout=60)
        assert not client.is_alive()
        assert "error" in outcome, f"a killed worker answered: {outcome.get('response')}"

        store = backend.open()
        try:
            stored = store.get_article(article_id(first))
            assert stored.event_id is None  # half done: stored, in no event
            half_done = check(store)
            assert [(f.invariant, f.record) for f in half_done.findings] == [
                (IN_ONE_EVENT, f"articles/{stored.id}")
            ]

            retried_at = time.monotonic()
            retry = server.post(first)  # the client's retry: any worker may take it
            assert retry.status_code == 200, retry.text
            assert retry.json()["event_id"] is not None
            retry_s = elapsed(retried_at)
            fresh = server.post(later)  # the failpoint fired once; writes go on normally
            assert fresh.status_code == 201, fresh.text

            events = assert_each_in_one_event(store, {stored.id, article_id(later)})
            assert events[stored.id] == retry.json()["event_id"]
            assert store.count_articles() == 2
            dup = duplicates(store)
            assert dup == 0
        finally:
            store.close()
        # gunicorn replaced the killed worker: two live workers again (the master's children).
        wait_for(lambda: len(_children(server.proc.pid) - {worker}) == 2,
                 "gunicorn to start a worker in place of the killed one")
    code, report = check_cli(env)
    assert code == 0 and report["clean"], report
    figures(record_property, test=f"worker-killed-{backend.name}", sent=2, acknowledged=2,
            found=report["articles"], events=report["events"], duplicates=dup,
            violations_before_retry=len(half_done.findings), retry_s=retry_s,
            total_s=elapsed(began))


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if _parent(int(entry.name)) == pid:
                    found.add(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, AttributeError):
                continue
    return found

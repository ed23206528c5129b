"""The embedded store under faults: the writer SIGKILLed mid-load, and the disk running full.

Durability as the code promises it: SQLite in WAL mode with ``synchronous=FULL``, so every
acknowledged write (a ``created`` line in ``storyrecords index --report``, a 201) was fsynced
before it was acknowledged and survives the process dying at any instant. Membership is the
article's ``event_id``; an event's article list is derived. A kill between the two writes
of an ingest leaves half-done work of one kind only: **an article stored but not (or not
fully) assigned**, which ``storyrecords check --repair`` completes, as does a repeat of the
same ingest. A full disk rolls the transaction back and raises ``StoreFull``: the API
answers 507 (or 503, naming the stored article, when only its assignment failed), loses
nothing it acknowledged, and writes again once space is freed.

Extraction is off (``STORYRECORDS_EXTRACTOR=none``): storage is judged here, not NLP.
"""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from indexer.check import IN_ONE_EVENT, check
from indexer.jobs import BATCH_LINES
from tests.conftest import in_ci
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
    embedded_backend,
    figures,
    read_report,
    serve,
    start_storyrecords,
    storyrecords,
    wait_for_line,
    write_ndjson,
)

pytestmark = pytest.mark.slow

KILL_AFTER = 100  # acknowledged articles before the kill


def _integrity(backend: Backend) -> str:
    """``PRAGMA integrity_check`` on the store's file, opened the way sqlite3 opens it."""
    conn = sqlite3.connect(backend.data_dir / "storyrecords.sqlite3")
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    assert rows == [("ok",)], rows[:10]
    assert foreign == [], foreign[:10]
    return str(rows[0][0])


def test_index_killed_during_writes(tmp_path: Path, record_property: Any) -> None:
    """SIGKILL ``storyrecords index`` at a random moment of a 500-article load.

    ``integrity_check`` passes; every article the report calls created is stored, once, in one
    event; anything else stored is of the one batch in flight (``BATCH_LINES`` records are
    ingested together), which ``check`` may report half done and ``check --repair``
    completes; the command run again finishes the rest.
    """
    docs = ecbplus_docs()
    source = write_ndjson(tmp_path / "ecbplus.ndjson", docs)
    backend = embedded_backend(tmp_path / "data", **NO_NLP)
    report = tmp_path / "report.ndjson"
    began = time.monotonic()
    proc = start_storyrecords("index", "--no-progress", "--report", str(report), str(source),
                              env=backend.env, out=tmp_path / "index.log")

    def acknowledged_enough() -> bool:
        assert proc.poll() is None, (tmp_path / "index.log").read_text()
        return sum(int(r["status"] == "created") for r in read_report(report)) >= KILL_AFTER

    wait_for(acknowledged_enough, f"{KILL_AFTER} articles indexed", timeout=300)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    rows = read_report(report)
    acked = {r["id"] for r in rows if r["status"] == "created"}
    assert len(acked) == len(rows) >= KILL_AFTER  # a killed run reports nothing it did not do
    _integrity(backend)

    store = backend.open()
    try:
        assert_each_in_one_event(store, acked)
        stored = {a.id for a in store.iter_articles()}
        in_flight = stored - acked
        next_batch = {article_id(d) for d in docs[len(rows):len(rows) + BATCH_LINES]}
        assert in_flight <= next_batch, in_flight  # the next batch, at most
        found = check(store)
        assert {f.record for f in found.findings if f.record.startswith("articles/")} <= {
            f"articles/{i}" for i in in_flight}, found.findings
    finally:
        store.close()
    repaired = 0
    if not found.clean:
        code, fixed = check_cli(backend.env, repair=True)
        assert code == 0, fixed
        repaired = fixed["repaired"]
        assert fixed["after_repair"]["clean"]

    done = storyrecords("index", "--no-progress", str(source), env=backend.env)
    assert done.returncode == 0, done.stderr[-3000:]
    code, final = check_cli(backend.env)
    assert code == 0 and final["clean"] and final["articles"] == len(docs), final["findings"][:5]
    _integrity(backend)
    store = backend.open()
    try:
        assert_each_in_one_event(store, {article_id(d) for d in docs})
        dup = duplicates(store)
        assert dup == 0
    finally:
        store.close()
    figures(record_property, test="embedded-index-killed", sent=len(docs),
            acknowledged=len(acked), found=len(stored & acked), half_done=len(in_flight),
            violations_after_kill=len(found.findings), repaired=repaired,
            final_articles=final["articles"], final_events=final["events"], duplicates=dup,
            total_s=elapsed(began))


def test_index_killed_between_put_and_assign_is_repaired(
    tmp_path: Path, record_property: Any
) -> None:
    """The kill made to land between storing articles and assigning them (the failpoint).

    100 articles are indexed first; the run that stops at the failpoint, after the next
    batch's articles are written and before their events are, is SIGKILLed. The file is
    intact, the 100 are untouched, and ``check`` reports only the batch's half-done articles
    (pointing at events not written yet) and the events that do not list them yet, which
    ``check --repair`` completes.
    """
    docs = ecbplus_docs()
    backend = embedded_backend(tmp_path / "data", **NO_NLP)
    before = write_ndjson(tmp_path / "first.ndjson", docs[:100])
    everything = write_ndjson(tmp_path / "all.ndjson", docs)
    assert storyrecords("index", "--no-progress", str(before), env=backend.env).returncode == 0
    out = tmp_path / "stopped.log"
    proc = start_storyrecords("index", "--no-progress", str(everything), out=out,
                              env={**backend.env, "STORYRECORDS_FAILPOINT": "after-put"})
    wait_for_line(out, "FAILPOINT after-put", proc=proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _integrity(backend)

    batch = docs[100:100 + BATCH_LINES]
    code, found = check_cli(backend.env)
    assert code == 1
    assert found["articles"] == 100 + len(batch)
    # The articles were written with the events they were assigned to, which were not: each
    # points at an event that does not exist yet, or one that does not list it yet.
    half_done = {f"articles/{article_id(d)}" for d in batch}
    articles_found = {f["record"] for f in found["findings"] if f["record"].startswith("articles/")}
    assert articles_found and articles_found <= half_done, found["findings"][:5]
    assert all(f["record"] in half_done or any(i.split("/")[1] in f["detail"] for i in half_done)
               for f in found["findings"]), found["findings"][:5]
    assert {f["invariant"] for f in found["findings"] if f["record"] in half_done} == {
        IN_ONE_EVENT}
    code, fixed = check_cli(backend.env, repair=True)
    assert code == 0 and fixed["repaired"] == len(found["findings"]), fixed
    assert fixed["after_repair"]["clean"], fixed
    store = backend.open()
    try:
        assert_each_in_one_event(store, {article_id(d) for d in docs[:100 + len(batch)]})
        dup = duplicates(store)
        assert dup == 0
    finally:
        store.close()
    figures(record_property, test="embedded-killed-at-failpoint", sent=100 + len(batch),
            acknowledged=100, found=found["articles"], violations=len(found["findings"]),
            repaired=fixed["repaired"], duplicates=dup)


# -- out of disk ------------------------------------------------------------------------------

DISK = "8m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs of ``DISK`` (not a page-count stand-in); needs root, as CI has."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0755", "tmpfs",
                           str(mount)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        why = f"cannot mount a {DISK} tmpfs here ({done.stderr.strip() or done.returncode})"
        if in_ci():
            pytest.fail(f"CI=true needs the out-of-disk test to run: {why}", pytrace=False)
        pytest.skip(why)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False, capture_output=True)


def _fill(path: Path) -> int:
    """Write ``path`` until the disk is full; the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as filler:
        while True:
            try:
                written += filler.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
        try:  # and the last few bytes
            while filler.write(b"\0" * 512):
                written += 512
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return written


def test_out_of_disk(small_disk: Path, tmp_path: Path, record_property: Any) -> None:
    """Fill the store's real (tmpfs) disk while the API takes writes.

    Writes fail with a clear problem: 507 ``/problems/store-full`` with ``Retry-After``, or
    503 naming the article when it was stored but its event could not be written. Every
    acknowledged article stays readable throughout. Once the filler file is deleted the
    refused writes, repeated, succeed, a new one is indexed, and ``check`` is clean.
    """
    docs = ecbplus_docs()
    backend = embedded_backend(small_disk / "data", **NO_NLP)
    acked: set[str] = set()
    refused: list[tuple[int, dict[str, Any]]] = []
    with serve(backend.env, tmp_path, workers=1) as server:
        for doc in docs[:20]:
            r = server.post(doc)
            assert r.status_code == 201, r.text
            acked.add(r.json()["id"])
        filler = small_disk / "filler"
        filled = _fill(filler)

        attempts = 0
        sent_while_full: list[int] = []
        for n, doc in enumerate(docs[20:220], start=20):
            r = server.post(doc)
            attempts += 1
            if r.status_code in (200, 201):
                acked.add(r.json()["id"])
                continue
            refused.append((n, {"status": r.status_code, "body": r.json(),
                                "retry_after": r.headers.get("Retry-After"),
                                "type": r.headers.get("Content-Type")}))
            sent_while_full.append(n)
            if len(refused) >= 5:
                break
        assert refused, f"{attempts} writes on a full disk all succeeded"
        for _, answer in refused:
            assert answer["type"].startswith("application/problem+json")
            assert answer["retry_after"] and int(answer["retry_after"]) >= 1
            body = answer["body"]
            if answer["status"] == 507:
                assert body["type"] == "/problems/store-full"
                assert "no space" in body["detail"]
            else:
                assert answer["status"] == 503, answer
                assert body["article_id"] in body["detail"], body  # stored, not assigned
        for article in acked:  # reads go on while the disk is full
            got = requests.get(f"{server.base}/v1/articles/{article}", timeout=60)
            assert got.status_code == 200 and got.json()["event_id"], got.text

        filler.unlink()
        freed_at = time.monotonic()
        for n in sent_while_full:  # the client repeats what was refused
            r = server.post(docs[n])
            assert r.status_code in (200, 201), r.text
            acked.add(r.json()["id"])
        fresh = server.post(docs[300])
        assert fresh.status_code == 201, fresh.text
        acked.add(fresh.json()["id"])
        recovered_s = elapsed(freed_at)
    code, report = check_cli(backend.env)
    assert code == 0 and report["clean"], report["findings"][:5]
    _integrity(backend)
    store = backend.open()
    try:
        assert_each_in_one_event(store, acked)
        assert store.count_articles() == len(acked)
        dup = duplicates(store)
        assert dup == 0
    finally:
        store.close()
    figures(record_property, test="embedded-out-of-disk", disk=DISK, filler_bytes=filled,
            writes_on_full_disk=attempts, acknowledged=len(acked), found=report["articles"],
            refused=dict(Counter(a["status"] for _, a in refused)), duplicates=dup,
            recovered_s=recovered_s, disk_free_after=os.statvfs(small_disk).f_bavail)

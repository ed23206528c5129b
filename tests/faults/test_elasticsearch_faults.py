"""Elasticsearch killed (SIGKILL) mid-load and frozen (SIGSTOP), on a private server.

What the code is held to. An article's ``event_id`` is the one record of its event
membership, written compare-and-set on the article's version; an event's article list, merged
fields and search documents are derived from it, and ``storyrecords check --repair`` rebuilds
them. Ingest is idempotent: the same content again returns the stored record (200), and a
repeat of a half-done ingest (stored, not yet in an event) finishes it. So after a crash the
client just sends everything again: nothing acknowledged is lost, nothing ends up twice.

Elasticsearch acknowledges a write once its translog is fsynced (``index.translog.durability:
request``, the default), so SIGKILL loses nothing acknowledged; searches see writes within the
1 s refresh, reads by id at once. A request that times out trips a breaker: for ``BREAKER_S``
every request fails at once, then one probe at a time goes through and the others keep failing
fast until a probe is answered, so a frozen server costs a request at most one request timeout
and holds at most one worker thread per process after the first timeout.

One private server for the module (``private_es``: own port and data directory; the shared one
is never touched), each test its own index prefix. Extraction is off
(``STORYRECORDS_EXTRACTOR=none``): storage and bookkeeping are judged here, not NLP.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from indexer.check import check
from indexer.store.elasticsearch import BREAKER_S, ElasticsearchStore
from tests.faults.es_instance import EsInstance, wait_for
from tests.faults.support import (
    NO_NLP,
    Backend,
    Doc,
    Server,
    article_id,
    assert_each_in_one_event,
    check_cli,
    duplicates,
    ecbplus_docs,
    elapsed,
    es_backend,
    figures,
    read_report,
    serve,
    spare_docs,
    start_storyrecords,
    write_ndjson,
)

pytestmark = [pytest.mark.slow, pytest.mark.elasticsearch]

#: The load: 30 ECB+ happenings of 10 articles (300), enough for events that span the kill.
CLUSTERS = 30
#: Kill once this many articles are acknowledged: well inside the load.
KILL_AFTER = 100
ACKNOWLEDGED = ("created", "unchanged")
#: The request timeout every ElasticsearchStore the CLI and the server open uses.
REQUEST_TIMEOUT_S: float = inspect.signature(ElasticsearchStore).parameters["timeout"].default
#: The bound on any answer while Elasticsearch is frozen: one request timeout, plus a margin
#: for a loaded 2-core machine (a hang, or a second timeout in one request, exceeds it).
ANSWER_WITHIN_S = REQUEST_TIMEOUT_S + 5.0


def _stored_after_restart(
    backend: Backend, docs: tuple[Doc, ...], acked: set[str], unacked_lines: list[int]
) -> dict[str, Any]:
    """Every acknowledged article is there, once, in one event; anything else stored is the
    one request that was in flight (stored, maybe not assigned); what check says of it."""
    store = backend.open()
    try:
        assert_each_in_one_event(store, acked)
        stored = {a.id for a in store.iter_articles()}
        in_flight = stored - acked
        unacked_ids = {article_id(docs[n - 1]) for n in unacked_lines}
        assert in_flight <= unacked_ids, f"stored but never sent? {sorted(in_flight)[:5]}"
        assert len(in_flight) <= 1, f"more than the one in-flight article half-done: {in_flight}"
        report = check(store)
        assert {f.record.split("/", 1)[1] for f in report.findings
                if f.record.startswith("articles/")} <= in_flight, report.findings
        return {"found": len(stored & acked), "half_done": len(in_flight),
                "violations_after_restart": len(report.findings), "duplicates": duplicates(store)}
    finally:
        store.close()


def _final_state(backend: Backend, docs: tuple[Doc, ...]) -> dict[str, Any]:
    code, report = check_cli(backend.env)
    assert code == 0 and report["clean"], report["findings"][:5]
    store = backend.open()
    try:
        events = assert_each_in_one_event(store, {article_id(d) for d in docs})
        assert store.count_articles() == len(docs)
        dup = duplicates(store)
        assert dup == 0
    finally:
        store.close()
    return {"final_articles": report["articles"], "final_events": len(set(events.values())),
            "final_duplicates": dup}


def _bulk(server: Server, body: bytes, timeout: float = 900) -> requests.Response:
    return requests.post(f"{server.base}/v1/articles/bulk", data=body, timeout=timeout,
                         headers={**server.auth, "Content-Type": "application/x-ndjson"})


def _cli_outcome(rows: list[dict[str, Any]], docs: tuple[Doc, ...]) -> tuple[set[str], list[int]]:
    """The report of the killed ``storyrecords index``: (acknowledged ids, other lines)."""
    assert sorted(r["line"] for r in rows) == list(range(1, len(docs) + 1))  # every record
    statuses = Counter(r["status"] for r in rows)
    assert set(statuses) <= {"created", "unavailable"}, statuses
    for r in rows:
        if r["status"] in ACKNOWLEDGED:
            assert r["id"] == article_id(docs[r["line"] - 1])
        else:
            assert r["errors"]["_store"], r
    return ({r["id"] for r in rows if r["status"] in ACKNOWLEDGED},
            [r["line"] for r in rows if r["status"] not in ACKNOWLEDGED])


def _bulk_outcome(response: requests.Response, docs: tuple[Doc, ...]) -> \
        tuple[set[str], list[int]]:
    """The answer to the bulk POST the kill cut short: (acknowledged ids, other lines)."""
    assert response.status_code == 503, response.text[:2000]
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["Content-Type"].startswith("application/problem+json")
    results = response.json()["results"]
    assert [r["line"] for r in results] == list(range(1, len(results) + 1))
    assert results[-1]["status"] == "unavailable"
    assert all(r["status"] == "created" for r in results[:-1]), Counter(
        r["status"] for r in results)
    for r in results[:-1]:
        assert r["id"] == article_id(docs[r["line"] - 1])
    return ({r["id"] for r in results[:-1]}, list(range(len(results), len(docs) + 1)))


def test_killed_mid_load(private_es: EsInstance, tmp_path: Path, record_property: Any) -> None:
    """SIGKILL the server while two writers each load 300 ECB+ articles into a store of
    their own: ``storyrecords index --report`` and one ``POST /v1/articles/bulk`` (NDJSON).

    The CLI exits 3 and its report names every record: those it calls created are stored
    once, each in exactly one event; every other one is reported ``unavailable``. The bulk
    POST answers 503 with ``Retry-After``, its ``results`` listing the lines stored before the
    store went away (each stored once, in one event) and the line that failed. After a
    restart with the data kept, the same command and the same body again store the rest
    (what was acknowledged comes back ``unchanged``), with no duplicates, and ``check`` is
    clean on both stores. One kill and one restart serve both writers, which run side by side.
    """
    private_es.start()
    docs = ecbplus_docs(clusters=CLUSTERS)
    source = write_ndjson(tmp_path / "ecbplus.ndjson", docs)
    body = source.read_bytes()
    cli = es_backend(private_es.url, "kill-cli", tmp_path / "cli", **NO_NLP)
    api = es_backend(private_es.url, "kill-bulk", tmp_path / "api", **NO_NLP)
    first = tmp_path / "first-report.ndjson"
    index = ("index", "--no-progress", "--report")
    with serve(api.env, tmp_path, workers=1) as server:
        began = time.monotonic()
        proc = start_storyrecords(*index, str(first), str(source), env=cli.env,
                                  out=tmp_path / "first.log")
        answer: dict[str, Any] = {}
        sender = threading.Thread(target=lambda: answer.update(response=_bulk(server, body)))
        sender.start()
        client = private_es.client(timeout=2)

        def both_mid_load() -> bool:
            assert proc.poll() is None, (tmp_path / "first.log").read_text()
            assert sender.is_alive(), "the bulk POST ended before the kill"
            if sum(r["status"] == "created" for r in read_report(first)) < KILL_AFTER:
                return False
            try:
                count = int(client.count(index="kill-bulk-articles")["count"])
            except Exception:  # not created yet, or busy: ask again
                return False
            return count >= KILL_AFTER

        wait_for(both_mid_load, f"both writers to store {KILL_AFTER} articles", timeout=600)
        client.close()
        private_es.kill()
        killed_at = elapsed(began)
        assert proc.wait(timeout=120) == 3, (tmp_path / "first.log").read_text()
        sender.join(timeout=180)
        assert not sender.is_alive(), "the bulk POST did not answer after the kill"
        cli_acked, cli_unacked = _cli_outcome(read_report(first), docs)
        api_acked, api_unacked = _bulk_outcome(answer["response"], docs)

        private_es.restart()
        private_es.wait_answering()
        cli_after = _stored_after_restart(cli, docs, cli_acked, cli_unacked)
        api_after = _stored_after_restart(api, docs, api_acked, api_unacked)
        wait_for(lambda: requests.get(f"{server.base}/readyz", timeout=30).status_code == 200,
                 "the server to reach the restarted store", timeout=60)

        # Both writers send everything again, side by side.
        again_began = time.monotonic()
        second = tmp_path / "second-report.ndjson"
        rerun = start_storyrecords(*index, str(second), str(source), env=cli.env,
                                   out=tmp_path / "second.log")
        resent = _bulk(server, body)
        assert resent.status_code == 200, resent.text[:2000]
        resend_s = elapsed(again_began)
        assert rerun.wait(timeout=900) == 0, (tmp_path / "second.log").read_text()[-3000:]
        again_s = elapsed(again_began)
    cli_again = {r["line"]: r["status"] for r in read_report(second)}
    api_again = {r["line"]: r["status"] for r in resent.json()["results"]}
    for again, acked in ((cli_again, cli_acked), (api_again, api_acked)):
        assert sorted(again) == list(range(1, len(docs) + 1))
        assert set(again.values()) <= set(ACKNOWLEDGED), Counter(again.values())
        assert all(again[n] == "unchanged" for n, d in enumerate(docs, 1)
                   if article_id(d) in acked)
    cli_final, api_final = _final_state(cli, docs), _final_state(api, docs)
    for name, acked, unacked, after, again, final in (
        ("cli", cli_acked, cli_unacked, cli_after, cli_again, cli_final),
        ("bulk", api_acked, api_unacked, api_after, api_again, api_final),
    ):
        figures(record_property, test=f"es-killed-{name}", sent=len(docs),
                acknowledged=len(acked), reported_unavailable=len(unacked),
                killed_at_s=killed_at, **after,
                again_created=sum(s == "created" for s in again.values()),
                again_unchanged=sum(s == "unchanged" for s in again.values()),
                again_s=again_s if name == "cli" else resend_s, **final,
                total_s=elapsed(began))


#: While frozen, a probe of /healthz (which never touches the store) must answer this fast
#: once the first request has timed out: proof that worker threads are not all stuck waiting.
HEALTHZ_WITHIN_S = 2.0
THREADS = 4
CLIENTS = 2 * THREADS  # more clients than threads: a pile-up would starve /healthz
#: Long enough for several breaker rounds (each a request timeout and BREAKER_S).
FROZEN_FOR_S = 3 * REQUEST_TIMEOUT_S
THINK_S = 0.1  # a client's pause between requests (a fail-fast loop would only burn the CPU)


def test_frozen_answers_503_in_bounded_time_and_recovers(
    private_es: EsInstance, tmp_path: Path, record_property: Any
) -> None:
    """SIGSTOP the server under load from more clients than the API has threads.

    Bound: every search and write answers 503 with ``Retry-After`` within one request timeout
    plus a margin (``ANSWER_WITHIN_S``); after the first timeout ``/healthz`` keeps answering
    within ``HEALTHZ_WITHIN_S`` (threads do not pile up behind the frozen store). After
    SIGCONT searches answer 200 again without a restart, every write a client repeats is
    stored (idempotent), and ``check`` is clean.
    """
    private_es.start()
    backend = es_backend(private_es.url, "freeze", tmp_path / "data", **NO_NLP)
    spare = spare_docs()
    seeded, retried = spare[:3], spare[3:3 + 2 * CLIENTS]
    with serve(backend.env, tmp_path, workers=1, threads=THREADS) as server:
        for doc in seeded:
            assert server.post(doc).status_code == 201
        search = f"{server.base}/v1/articles?size=5"
        wait_for(lambda: requests.get(search, timeout=30).json()["total"] == len(seeded),
                 "the seeded articles to be searchable")

        answers: list[dict[str, Any]] = []
        probes: list[tuple[float, float, int]] = []  # (started after freeze, seconds, status)
        frozen_at = 0.0
        stop = threading.Event()

        def client(n: int) -> None:
            mine = retried[2 * n: 2 * n + 2]
            turn = 0
            while not stop.is_set():
                kind = "write" if turn % 2 else "search"
                began = time.monotonic()
                try:
                    if kind == "write":
                        r = server.post(mine[turn // 2 % 2], timeout=60)
                    else:
                        r = requests.get(search, timeout=60)
                    answers.append({"kind": kind, "status": r.status_code, "s": elapsed(began),
                                    "at": round(began - frozen_at, 2),
                                    "retry_after": r.headers.get("Retry-After"),
                                    "type": r.headers.get("Content-Type", ""),
                                    "body": r.json()})
                except requests.RequestException as exc:
                    answers.append({"kind": kind, "status": None, "s": elapsed(began),
                                    "at": round(began - frozen_at, 2), "error": repr(exc)})
                turn += 1
                stop.wait(THINK_S)

        def prober() -> None:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    status = requests.get(f"{server.base}/healthz", timeout=60).status_code
                except requests.RequestException:
                    status = 0
                probes.append((round(began - frozen_at, 2), elapsed(began), status))
                stop.wait(0.2)

        private_es.freeze()
        frozen_at = time.monotonic()
        try:
            workers = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
            workers.append(threading.Thread(target=prober))
            for w in workers:
                w.start()
            stop.wait(FROZEN_FOR_S)  # the load runs this long while frozen
            stop.set()
            for w in workers:
                w.join(timeout=ANSWER_WITHIN_S + 60)
            assert not any(w.is_alive() for w in workers), "a client never got an answer"
        finally:
            private_es.thaw()
        thawed_at = time.monotonic()

        assert answers, "no answers while frozen"
        bad = [a for a in answers if a["status"] != 503 or not a.get("retry_after")
               or not a["type"].startswith("application/problem+json")]
        assert not bad, bad[:3]
        slow = [a for a in answers if a["s"] > ANSWER_WITHIN_S]
        assert not slow, f"answers slower than {ANSWER_WITHIN_S} s: {slow[:3]}"
        kinds = Counter(a["kind"] for a in answers)
        assert kinds["search"] and kinds["write"], kinds
        assert all(status == 200 for _, _, status in probes), probes
        tripped = min(a["at"] + a["s"] for a in answers)  # the first 503: a request timed out
        late = [p for p in probes if p[0] > tripped + BREAKER_S]
        assert late, "no /healthz probes after the first timeout"
        assert max(p[1] for p in late) <= HEALTHZ_WITHIN_S, late

        wait_for(lambda: requests.get(search, timeout=60).status_code == 200,
                 "a search to answer 200 after SIGCONT", timeout=60)
        recovered_s = elapsed(thawed_at)
        # A client repeats what was refused; a write that timed out may still have landed
        # (or stopped half way), and the repeat finishes it.
        half_done = [a["body"]["article_id"] for a in answers if "article_id" in a["body"]]
        statuses: Counter[int] = Counter()
        repeats_began = time.monotonic()
        for doc in retried:
            r = server.post(doc, timeout=180)
            statuses[r.status_code] += 1
            assert r.status_code in (200, 201), r.text
    code, report = check_cli(backend.env)
    assert code == 0 and report["clean"], report["findings"][:5]
    store = backend.open()
    try:
        assert_each_in_one_event(store, {article_id(d) for d in (*seeded, *retried)})
        assert store.count_articles() == len(seeded) + len(retried)
        dup = duplicates(store)
        assert dup == 0
    finally:
        store.close()
    figures(record_property, test="es-frozen", answers=len(answers), **{
        f"answers_{k}": v for k, v in kinds.items()},
        slowest_answer_s=max(a["s"] for a in answers), bound_s=ANSWER_WITHIN_S,
        healthz_probes=len(probes), slowest_healthz_after_trip_s=max(p[1] for p in late),
        slowest_healthz_s=max(p[1] for p in probes), recovered_s=recovered_s,
        not_assigned_503s=len(half_done), repeats=dict(statuses),
        repeats_s=elapsed(repeats_began), duplicates=dup,
        articles=report["articles"])

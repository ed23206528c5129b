"""A big load through the HTTP API: N articles as bulk jobs, their progress, the worker's memory.

What issue 10 asks of a 100k-article load, measured as an operator would see it:

* the batches go to ``POST /v1/articles/bulk`` with ``Prefer: respond-async`` on a real
  ``storyrecords serve`` (1 worker x 8 threads, its bulk-job thread working them), and every
  request (submits, progress polls, a search per poll) is timed against a client timeout:
  none may time out;
* progress is read from ``GET /v1/jobs/{id}`` every ``--poll-s`` and printed to stderr;
* at the end: every line's result (created must equal the articles sent: nothing accepted is
  lost), the RSS of the API worker (from ``/proc``, the pid comes from ``X-Served-By``), and
  the store's size on disk per 1,000 articles.

NLP is off (``STORYRECORDS_EXTRACTOR=none``, the documented benchmark switch): the texts come
from the synthetic corpus, stored and assigned to events like any other; extraction
throughput is measured on its own by ``bench ingest --nlp``. The embedded store runs from a
temporary data directory; on Elasticsearch (``--backend elasticsearch``) from fresh indices
under a random prefix, deleted afterwards.

``--json`` prints ``{"search": [], "ingest": [row]}``, the row with the ingest fields
(``articles``, ``backend``, ``workers``, ``nlp``, ``articles_per_s``) and the load's own.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from indexer.benchmarks.assign import delete_indices, percentile
from indexer.benchmarks.corpus import synthetic_articles
from indexer.benchmarks.search import serve
from indexer.models import Article

DEFAULT_ES_URL = "http://127.0.0.1:9200"


class Client:
    """One keep-alive connection to the API; every call timed, timeouts counted, not raised."""

    def __init__(self, port: int, key: str, timeout_s: float) -> None:
        self.port, self.key, self.timeout_s = port, key, timeout_s
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        self.latencies: dict[str, list[float]] = {}
        self.timeouts = 0
        self.served_by: str | None = None

    def call(self, kind: str, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any] | None]:
        """(status, JSON body) or (0, None) when the request timed out."""
        all_headers = {"Authorization": f"Bearer {self.key}", "Accept-Encoding": "gzip",
                       **(headers or {})}
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except TimeoutError:
                self.timeouts += 1
                self._reconnect()
                return 0, None
            except (http.client.RemoteDisconnected, ConnectionError):
                # The server closed an idle keep-alive connection (gunicorn's keepalive is a
                # few seconds, polls are further apart): a new connection, once.
                self._reconnect()
                if attempt == 2:
                    raise
        self.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        self.served_by = response.getheader("X-Served-By") or self.served_by
        if response.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return response.status, json.loads(raw) if raw else None


    def _reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)


def rss_mib(pid: str | None) -> float | None:
    """Resident memory of a process, from /proc (None where there is no /proc)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def ndjson(articles: Sequence[Article]) -> bytes:
    """The bulk body a client would send: what an article is submitted with, one a line."""
    lines = (json.dumps({"text": a.text, "title": a.title, "url": a.url, "source": a.source,
                         "published_at": a.published_at}) for a in articles)
    return ("\n".join(lines) + "\n").encode()


def disk_bytes(backend: str, data_dir: Path, es_url: str, prefix: str) -> int:
    """What the articles, events and stories take on disk (and the jobs' leftovers)."""
    if backend == "embedded":
        return sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url, request_timeout=60)
    try:
        client.indices.flush(index=f"{prefix}-*")
        stats = client.indices.stats(index=f"{prefix}-*", metric="store")
        return int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
    finally:
        client.close()


def _batches(n: int, size: int, seed: int) -> Iterator[list[Article]]:
    articles = synthetic_articles(n, seed)
    for start in range(0, len(articles), size):
        yield articles[start:start + size]


def run(n: int, *, backend: str, batch: int, es_url: str, poll_s: float, timeout_s: float,
        seed: int) -> dict[str, Any]:
    """Load ``n`` articles through the API as jobs of ``batch`` lines; the row of figures."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    prefix = f"bench-load-{uuid.uuid4().hex[:8]}"
    env = {"STORYRECORDS_DATA_DIR": str(data_dir), "STORYRECORDS_EXTRACTOR": "none",
           "STORYRECORDS_RATE_LIMIT": "off", "STORYRECORDS_SERVED_BY": "true",
           "STORYRECORDS_ELASTICSEARCH_URL": es_url if backend == "elasticsearch" else "",
           "STORYRECORDS_ELASTICSEARCH_INDEX": prefix}
    try:
        script = str(Path(sys.executable).with_name("storyrecords"))
        key = subprocess.run(
            [script, "keys", "create", "--name", "bench-load", "--scope", "write"],
            env={**os.environ, **env}, check=True, capture_output=True, text=True,
        ).stdout.strip()
        with serve(env, data_dir / "serve.log", workers=1, threads=8) as port:
            return _load(Client(port, key, timeout_s), n, backend=backend, batch=batch,
                         poll_s=poll_s, seed=seed, data_dir=data_dir, es_url=es_url,
                         prefix=prefix)
    finally:
        if backend == "elasticsearch":
            delete_indices(es_url, prefix)
        shutil.rmtree(data_dir, ignore_errors=True)


def _load(client: Client, n: int, *, backend: str, batch: int, poll_s: float, seed: int,
          data_dir: Path, es_url: str, prefix: str) -> dict[str, Any]:
    client.call("search", "GET", "/v1/articles?size=1")
    rss_start = rss_mib(client.served_by)
    started = time.perf_counter()
    jobs: list[str] = []
    sent = 0
    for articles in _batches(n, batch, seed):
        status, body = client.call("submit", "POST", "/v1/articles/bulk", ndjson(articles),
                                   {"Content-Type": "application/x-ndjson",
                                    "Prefer": "respond-async"})
        if status != 202 or body is None:
            raise RuntimeError(f"bulk submit answered {status}: {body}")
        jobs.append(body["id"])
        sent += len(articles)
    submitted_s = time.perf_counter() - started
    print(f"load: {sent:,} articles submitted as {len(jobs)} jobs in {submitted_s:.0f} s",
          file=sys.stderr, flush=True)
    finished: dict[str, dict[str, Any]] = {}
    rss_peak = rss_start or 0.0
    while len(finished) < len(jobs):
        time.sleep(poll_s)
        done = 0
        for job_id in jobs:
            if job_id in finished:
                done += finished[job_id]["done"]
                continue
            status, job = client.call("poll", "GET", f"/v1/jobs/{job_id}")
            if status == 200 and job is not None:
                done += job["done"]
                if job["status"] in ("done", "failed"):
                    finished[job_id] = job
        client.call("search", "GET", "/v1/articles?q=talks&size=10")
        rss = rss_mib(client.served_by)
        rss_peak = max(rss_peak, rss or 0.0)
        spent = time.perf_counter() - started
        print(f"load: {done:,}/{sent:,} lines done ({100 * done / sent:.1f}%), "
              f"{done / spent:.1f} articles/s, worker RSS {rss or 0:.0f} MiB, "
              f"{client.timeouts} timeouts", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    created = sum(j["created"] for j in finished.values())
    _, page = client.call("search", "GET", "/v1/articles?size=1")
    disk = disk_bytes(backend, data_dir, es_url, prefix)
    rss_end = rss_mib(client.served_by)
    every = [t for values in client.latencies.values() for t in values]
    searches = client.latencies.get("search", [])
    return {
        "articles": n, "backend": backend, "workers": 1, "nlp": False,
        "articles_per_s": round(n / seconds, 2), "path": "API bulk jobs",
        "seconds": round(seconds), "jobs": len(jobs),
        "failed_jobs": sum(j["status"] == "failed" for j in finished.values()),
        "created": created, "rejected": sum(j["rejected"] for j in finished.values()),
        "searchable": (page or {}).get("total"),
        "requests": len(every), "timeouts": client.timeouts,
        "max_request_ms": round(1000 * max(every), 1) if every else None,
        "submit_p50_ms": round(1000 * statistics.median(client.latencies["submit"]), 1),
        "search_p50_ms": round(1000 * statistics.median(searches), 1) if searches else None,
        "search_p99_ms": round(1000 * percentile(searches, 99), 1) if searches else None,
        "rss_mib_start": rss_start and round(rss_start), "rss_mib_peak": round(rss_peak),
        "rss_mib_end": rss_end and round(rss_end),
        "disk_mib_per_1k": round(disk / 2**20 / (n / 1000), 2),
    }


def format_report(row: dict[str, Any]) -> str:
    """A two-column Markdown table of the load's figures."""
    labels = [
        ("articles", "articles sent"), ("jobs", "bulk jobs (202 each)"),
        ("seconds", "wall time, s"), ("articles_per_s", "articles/s"),
        ("created", "lines created"), ("rejected", "lines rejected"),
        ("failed_jobs", "jobs failed"), ("searchable", "articles searchable at the end"),
        ("requests", "API requests timed"), ("timeouts", "requests timed out"),
        ("max_request_ms", "slowest request, ms"), ("submit_p50_ms", "bulk submit p50, ms"),
        ("search_p50_ms", "search during the load p50, ms"),
        ("search_p99_ms", "search during the load p99, ms"),
        ("rss_mib_start", "API worker RSS before, MiB"), ("rss_mib_peak", "... peak, MiB"),
        ("rss_mib_end", "... after the load, MiB"),
        ("disk_mib_per_1k", "store on disk per 1k articles, MiB"),
    ]
    lines = [f"{row['backend']} store, NLP off, 1 worker x 8 threads", "",
             "| | |", "|---|---|"]
    lines += [f"| {label} | {row[key]} |" for key, label in labels]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``storyrecords bench load --articles 100000 --batch 10000``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000, help="lines per bulk job")
    parser.add_argument("--backend", choices=("embedded", "elasticsearch"), default="embedded")
    parser.add_argument("--es-url", default=DEFAULT_ES_URL)
    parser.add_argument("--poll-s", type=float, default=10.0, help="seconds between polls")
    parser.add_argument("--timeout-s", type=float, default=60.0,
                        help="a request slower than this counts as timed out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the row as JSON")
    args = parser.parse_args(argv)
    row = run(args.articles, backend=args.backend, batch=args.batch, es_url=args.es_url,
              poll_s=args.poll_s, timeout_s=args.timeout_s, seed=args.seed)
    print(json.dumps({"search": [], "ingest": [row]}, indent=2) if args.json
          else format_report(row))


if __name__ == "__main__":
    main()

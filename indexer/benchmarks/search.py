"""Search latency under concurrent load, layer by layer, with a raw Elasticsearch query as floor.

The same faceted queries (1-3 words, 0-2 facet filters, newest or relevance, size 10, every
facet counted) go through four layers in one run, taking turns so machine noise hits all:

* **raw ES query**: the exact request body ElasticsearchStore compiles, sent with the
  Python client and not decoded into records: the floor anything built on ES can reach;
* **minimal ES query**: the simplest request a specialist would write for the same hits,
  total and facet counts (flat ``keyword`` terms aggregations, no snapshot filter, no
  labels, ids only): it keeps our own mapping and compiler honest;
* **ES store call**: ``ElasticsearchStore.search_articles`` in-process (compile, send,
  decode records and facets);
* **embedded store call**: ``EmbeddedStore.search_articles`` in-process;
* **HTTP API on ES / on embedded**: ``GET /v1/articles`` on a real ``storyrecords serve``.

Before that, both stores are loaded with the same synthetic articles; the first ``ingest``
of them go through ``put_article`` + ``assign_article`` one by one (ingest throughput
without NLP; ``benchmarks/extract.py`` measures extraction), the rest are bulk-prefilled.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.benchmarks.assign import delete_indices, percentile
from indexer.benchmarks.corpus import (
    arrival_order,
    prefill,
    prefilled_events,
    synthetic_groups,
)
from indexer.events.assign import assign_article
from indexer.facets import facet_terms
from indexer.models import Article
from indexer.store import es_compile
from indexer.store.base import Store
from indexer.store.elasticsearch import ElasticsearchStore
from indexer.store.embedded import EmbeddedStore
from indexer.store.paging import plan_page
from indexer.store.query import SearchQuery, Sort, words

DEFAULT_ES_URL = "http://127.0.0.1:9200"
LAYERS = (
    "raw ES query",
    "minimal ES query",
    "ES store call",
    "HTTP API on ES",
    "embedded store call",
    "HTTP API on embedded",
)
#: The API's rate limit during the run: counted as always, never reached.
BENCH_RATE_LIMIT = "1000000/minute"
FILTER_FACETS = ("party", "venue", "source", "month")
SORTS: tuple[Sort, ...] = ("newest", "relevance")

Call = Callable[[int], None]


@dataclass(frozen=True)
class BenchQuery:
    """One search, as the API's query string and as the SearchQuery the API would build."""

    params: tuple[tuple[str, str], ...]
    query: SearchQuery

    @property
    def path(self) -> str:
        return "/v1/articles?" + urllib.parse.urlencode(self.params)


def make_queries(articles: Sequence[Article], count: int, seed: int) -> list[BenchQuery]:
    """Queries a reader might type: words and facet values of a random article, so most match."""
    rng = random.Random(f"queries:{seed}")
    out = []
    for _ in range(count):
        article = rng.choice(articles)
        pool = [w for w in words(f"{article.title} {article.text}") if len(w) >= 4]
        q = " ".join(rng.sample(pool, rng.randint(1, min(3, len(pool)))))
        terms = facet_terms(article)
        filters: dict[str, tuple[str, ...]] = {}
        for facet in rng.sample(FILTER_FACETS, rng.choice((0, 0, 0, 0, 0, 1, 1, 1, 2, 2))):
            if terms[facet]:
                filters[facet] = (rng.choice(terms[facet])[0],)
        sort = rng.choice(SORTS)
        params = [("q", q), *((f, v[0]) for f, v in sorted(filters.items())), ("sort", sort),
                  ("size", "10")]
        query = SearchQuery(q=q, filters=filters, sort=sort, size=10)
        out.append(BenchQuery(tuple(params), query))
    return out


# -- the floor: the body ElasticsearchStore compiles ------------------------------------------


def compile_query(query: SearchQuery) -> dict[str, Any]:
    """Exactly the body ElasticsearchStore sends for ``query`` (its own pure compiler)."""
    plan = plan_page(query, has_text=bool(query.terms()))
    return es_compile.search_request(query, plan, [])


def minimal_query(query: SearchQuery) -> dict[str, Any]:
    """What a specialist would send for the same hits, total and facet counts, nothing more."""
    must = [es_compile.match(es_compile.fold(t.text)) for t in query.terms()]
    aggs: dict[str, Any] = {}
    for facet in query.facets:
        terms = {"terms": {"field": f"facets.{facet}", "size": query.facet_size}}
        others = es_compile.facet_filters(query.other_filters(facet), query.facets)
        aggs[facet] = (
            {"filter": {"bool": {"filter": others}}, "aggs": {"values": terms}} if others else terms
        )
    sort = "relevance" if query.effective_sort == "relevance" and must else "newest"
    body: dict[str, Any] = {
        "query": {"bool": {"must": must}} if must else {"match_all": {}},
        "aggs": aggs,
        "sort": es_compile.SORTS[sort],
        "size": query.size,
        "track_total_hits": True,
        "_source": False,
    }
    selected = es_compile.facet_filters(query.filters, query.facets)
    if selected:
        body["post_filter"] = {"bool": {"filter": selected}}
    return body


# -- load generation --------------------------------------------------------------------------


def run_load(
    make_call: Callable[[], Call], indices: Sequence[int], concurrency: int, seconds: float
) -> tuple[list[float], int, float]:
    """Send ``indices`` from ``concurrency`` threads; (latencies ms, errors, wall seconds).

    Each thread gets its own caller (its own HTTP connection). Stops early after ``seconds``.
    """
    lock = threading.Lock()
    position = iter(indices)
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + seconds

    def worker() -> None:
        call = make_call()
        while time.monotonic() < deadline:
            with lock:
                i = next(position, None)
            if i is None:
                return
            start = time.perf_counter()
            try:
                call(i)
            except Exception:
                with lock:
                    errors[0] += 1
                continue
            elapsed = 1000 * (time.perf_counter() - start)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - start


def http_caller(port: int, queries: Sequence[BenchQuery]) -> Callable[[], Call]:
    """One keep-alive connection per thread; anything but 200 counts as an error."""

    def make() -> Call:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def call(i: int) -> None:
            conn.request("GET", queries[i].path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")

        return call

    return make


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path, workers: int, threads: int) -> Iterator[int]:
    """Run ``storyrecords serve`` on a free loopback port until the block ends; yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    full_env = {**os.environ, **env}
    # The console script installed beside this interpreter (the indexer never imports the API).
    script = str(Path(sys.executable).with_name("storyrecords"))
    command = [script, "serve", "--port", str(port),
               "--workers", str(workers), "--threads", str(threads)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(port, proc, timeout=180)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"storyrecords serve exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.5)
    raise RuntimeError(f"storyrecords serve on port {port} not ready after {timeout:.0f} s")


# -- loading ----------------------------------------------------------------------------------


def load(
    stores: dict[str, Store], groups: Sequence[Sequence[Article]], ingest: int
) -> dict[str, dict[str, float]]:
    """Ingest the first happenings article by article (timed, backends taking turns), then
    prefill the rest; returns ingest throughput per backend."""
    take, count = 0, 0
    while take < len(groups) and count < ingest:
        count += len(groups[take])
        take += 1
    timings: dict[str, list[float]] = {name: [] for name in stores}
    for i, article in enumerate(arrival_order(groups[:take])):
        names = list(stores)
        for name in names[i % len(names):] + names[: i % len(names)]:
            start = time.perf_counter()
            stores[name].put_article(article)
            assign_article(stores[name], article)
            timings[name].append(time.perf_counter() - start)
    result = {}
    events = prefilled_events(groups[take:])
    for name, store in stores.items():
        start = time.perf_counter()
        prefilled = prefill(store, events)
        prefill_s = time.perf_counter() - start
        spent = timings[name]
        result[name] = {
            "articles": len(spent),
            "articles_per_s": len(spent) / sum(spent),
            "median_ms": 1000 * statistics.median(spent),
            "p95_ms": 1000 * percentile(spent, 95),
            "prefilled": prefilled,
            "prefill_articles_per_s": prefilled / prefill_s if prefill_s else 0.0,
        }
    return result


# -- the run ----------------------------------------------------------------------------------


def run(
    n: int = 2000,
    *,
    es_url: str = DEFAULT_ES_URL,
    ingest: int = 300,
    concurrency: Sequence[int] = (1, 4, 8),
    requests: int = 300,
    rounds: int = 3,
    seconds: float = 60.0,
    seed: int = 7,
    workers: int = 2,
    threads: int = 8,
) -> dict[str, Any]:
    """Load ``n`` articles into both backends, then measure every layer at every concurrency.

    Each (level, layer) sends ``requests`` queries split into ``rounds`` batches; layers take
    turns batch by batch, each batch starting with a different layer, and all layers get the
    same queries in the same order.
    """
    groups = synthetic_groups(n, seed)
    articles = [a for g in groups for a in g]
    queries = make_queries(articles, requests, seed)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    folder = Path(tempfile.mkdtemp(prefix="bench-search-"))
    es = ElasticsearchStore(es_url, index=prefix, timeout=60)
    embedded = EmbeddedStore(folder / "storyrecords.sqlite3")
    try:
        ingest_result = load({"embedded": embedded, "elasticsearch": es}, groups, ingest)
        bodies = [compile_query(q.query) for q in queries]
        minimal = [minimal_query(q.query) for q in queries]
        from elasticsearch import Elasticsearch

        raw = Elasticsearch(es_url, request_timeout=60, max_retries=0)

        def raw_call(i: int) -> None:
            raw.search(index=es.alias, **bodies[i])

        def minimal_call(i: int) -> None:
            raw.search(index=es.alias, **minimal[i])

        # The rate limiter stays on (its cost is part of every real request), at a limit one
        # load generator on one address never reaches: the default 600/minute turned the
        # last seconds of a fast run into 429s.
        limits = {"STORYRECORDS_RATE_LIMIT": BENCH_RATE_LIMIT}
        es_env = {**limits, "STORYRECORDS_ELASTICSEARCH_URL": es_url,
                  "STORYRECORDS_ELASTICSEARCH_INDEX": prefix}
        emb_env = {**limits, "STORYRECORDS_DATA_DIR": str(folder),
                   "STORYRECORDS_ELASTICSEARCH_URL": ""}
        with serve(es_env, folder / "serve-es.log", workers, threads) as es_port, \
                serve(emb_env, folder / "serve-embedded.log", workers, threads) as emb_port:
            makers: dict[str, Callable[[], Call]] = {
                "raw ES query": lambda: raw_call,
                "minimal ES query": lambda: minimal_call,
                "ES store call": lambda: lambda i: _discard(es.search_articles(queries[i].query)),
                "HTTP API on ES": http_caller(es_port, queries),
                "embedded store call":
                    lambda: lambda i: _discard(embedded.search_articles(queries[i].query)),
                "HTTP API on embedded": http_caller(emb_port, queries),
            }  # fmt: skip
            agreement = _agreement(queries[:20], raw, es, embedded, bodies, minimal, es_port,
                                   emb_port)
            for maker in makers.values():  # warm caches and connections, untimed
                run_load(maker, range(min(20, len(queries))), 1, seconds)
            rows = _measure(makers, len(queries), concurrency, rounds, seconds)
        raw.close()
    finally:
        es.close()
        embedded.close()
        delete_indices(es_url, prefix)
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "articles": n,
        "happenings": len(groups),
        "requests": requests,
        "rounds": rounds,
        "concurrency": list(concurrency),
        "workers": workers,
        "threads": threads,
        "cpus": os.cpu_count(),
        "ingest": ingest_result,
        "agreement": agreement,
        "rows": rows,
    }


def _discard(_: object) -> None:
    return None


def _measure(
    makers: dict[str, Callable[[], Call]],
    n_queries: int,
    concurrency: Sequence[int],
    rounds: int,
    seconds: float,
) -> list[dict[str, Any]]:
    """Every layer at every concurrency level, batches interleaved across layers."""
    rows = []
    batches = [list(range(n_queries))[r::rounds] for r in range(rounds)]
    layers = list(makers)
    for level in concurrency:
        latencies: dict[str, list[float]] = {name: [] for name in layers}
        errors = dict.fromkeys(layers, 0)
        wall = dict.fromkeys(layers, 0.0)
        for r, batch in enumerate(batches):
            for name in layers[r % len(layers):] + layers[: r % len(layers)]:
                lat, err, spent = run_load(makers[name], batch, level, seconds)
                latencies[name] += lat
                errors[name] += err
                wall[name] += spent
        for name in layers:
            lat = latencies[name]
            rows.append({
                "layer": name,
                "concurrency": level,
                "requests": len(lat),
                "errors": errors[name],
                "p50_ms": percentile(lat, 50),
                "p95_ms": percentile(lat, 95),
                "p99_ms": percentile(lat, 99),
                "requests_per_s": len(lat) / wall[name] if wall[name] else 0.0,
            })  # fmt: skip
    return rows


def _agreement(
    queries: Sequence[BenchQuery],
    raw: Any,
    es: ElasticsearchStore,
    embedded: EmbeddedStore,
    bodies: Sequence[dict[str, Any]],
    minimal: Sequence[dict[str, Any]],
    es_port: int,
    emb_port: int,
) -> dict[str, int]:
    """Do all layers and both backends find the same number of articles, and do our facet
    counts equal the minimal query's? (a sanity check)"""
    same = same_facets = 0
    for i, q in enumerate(queries):
        floor = raw.search(index=es.alias, **minimal[i])
        ours = es.search_articles(q.query)
        counted = {f: [(b.value, b.count) for b in found] for f, found in ours.facets.items()}
        theirs = {f: [(str(b["key"]), int(b["doc_count"]))
                      for b in (agg.get("values") or agg)["buckets"]]
                  for f, agg in floor["aggregations"].items()}
        same_facets += counted == theirs
        totals = {
            int(floor["hits"]["total"]["value"]),
            int(raw.search(index=es.alias, **bodies[i])["hits"]["total"]["value"]),
            es.search_articles(q.query).total,
            embedded.search_articles(q.query).total,
            _http_total(es_port, q),
            _http_total(emb_port, q),
        }
        same += len(totals) == 1
    return {"checked": len(queries), "agree": same, "facets_agree": same_facets}


def _http_total(port: int, query: BenchQuery) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", query.path)
        return int(json.loads(conn.getresponse().read())["total"])
    finally:
        conn.close()


def format_report(result: dict[str, Any]) -> str:
    """Markdown: ingest throughput per backend, then latency per layer and concurrency."""
    ing = result["ingest"]
    lines = [
        f"{result['articles']:,} synthetic articles about {result['happenings']} happenings "
        f"on each backend; {result['cpus']} CPUs shared by Elasticsearch, the API server "
        f"({result['workers']} worker(s) x {result['threads']} threads) and the load generator.",
        "",
        "**Ingest** (`put_article` + `assign_article`, one at a time, no NLP; extraction cost "
        "is measured separately by `benchmarks/extract.py`):",
        "",
        "| backend | articles | articles/s | median ms | p95 ms | bulk prefill articles/s |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in ing.items():
        lines.append(
            f"| {name} | {r['articles']} | {r['articles_per_s']:.1f} | {r['median_ms']:.1f} "
            f"| {r['p95_ms']:.1f} | {r['prefill_articles_per_s']:.0f} |"
        )
    agreement = result["agreement"]
    lines += [
        "",
        f"**Search**: {result['requests']} queries per layer and level, in {result['rounds']} "
        "interleaved batches; 1-3 words, 0-2 facet filters, newest or relevance, size 10, "
        f"all 7 facets counted. Totals agree across all layers and both backends on "
        f"{agreement['agree']}/{agreement['checked']} sample queries; facet counts equal the "
        f"minimal query's on {agreement.get('facets_agree', '-')}.",
        "",
        "| layer | concurrency | p50 ms | p95 ms | p99 ms | requests/s | p50 / floor | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    floors = {r["concurrency"]: r["p50_ms"] for r in result["rows"]
              if r["layer"] == "raw ES query"}
    for r in sorted(result["rows"], key=lambda r: (r["concurrency"], LAYERS.index(r["layer"]))):
        floor = floors.get(r["concurrency"])
        ratio = f"{r['p50_ms'] / floor:.1f}x" if floor else "-"
        lines.append(
            f"| {r['layer']} | {r['concurrency']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['requests_per_s']:.0f} | {ratio} | {r['errors']} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m indexer.benchmarks.search --articles 2000``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--ingest", type=int, default=300,
                        help="articles ingested one by one (timed); the rest are bulk-loaded")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="time limit of one batch")
    parser.add_argument("--es-url", default=DEFAULT_ES_URL)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn workers of the API (2, as docker-compose.yml runs it)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    result = run(args.articles, es_url=args.es_url, ingest=args.ingest,
                 concurrency=args.concurrency, requests=args.requests, rounds=args.rounds,
                 seconds=args.seconds, seed=args.seed, workers=args.workers,
                 threads=args.threads)
    if args.json:
        ingest_rows = [
            {"articles": r["articles"], "backend": name, "workers": 1, "nlp": False,
             "articles_per_s": round(r["articles_per_s"], 2), "path": "put + assign"}
            for name, r in result["ingest"].items()
        ]
        print(json.dumps({"search": result["rows"], "ingest": ingest_rows, "run": result},
                         indent=2))
    else:
        print(format_report(result))


if __name__ == "__main__":
    main()

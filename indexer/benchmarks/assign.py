"""Cost of assigning one article to an event as the index grows: it should stay flat.

Assignment retrieves at most ``CANDIDATES`` events from the store and re-merges only the
chosen one, so its cost should depend on the size of the event, not of the index. This
benchmark checks that on both backends: it prefills a store with N synthetic articles and
their events (fast, without per-article assignment), then times ``assign_article`` for the
newest ``probes`` articles, taking turns between backends so machine noise hits both.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.benchmarks.corpus import (
    arrival_order,
    prefill,
    prefilled_events,
    synthetic_groups,
)
from indexer.events import similarity
from indexer.events.assign import (
    CANDIDATES,
    RETRIEVAL_TERMS,
    assign_article,
    event_id_for,
)
from indexer.models import Article
from indexer.store.base import Store

DEFAULT_SIZES = (1_000, 10_000)
DEFAULT_ES_URL = "http://127.0.0.1:9200"
BACKENDS = ("embedded", "elasticsearch")


@dataclass
class _Bench:
    """One backend's store at one size, and what its probes measured."""

    backend: str
    store: Store
    prefill_s: float = 0.0
    assign_ms: list[float] = field(default_factory=list)
    retrieve_ms: list[float] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    new_ms: list[float] = field(default_factory=list)
    join_ms: list[float] = field(default_factory=list)
    joined: int = 0
    correct: int = 0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); enough for a benchmark table."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@contextlib.contextmanager
def open_bench_store(backend: str, es_url: str) -> Iterator[Store]:
    """A fresh empty store (a temporary SQLite file, or indices under a random prefix)."""
    if backend == "embedded":
        from indexer.store.embedded import EmbeddedStore

        folder = Path(tempfile.mkdtemp(prefix="bench-assign-"))
        store: Store = EmbeddedStore(folder / "storyrecords.sqlite3")
        try:
            yield store
        finally:
            store.close()
            shutil.rmtree(folder, ignore_errors=True)
        return
    from indexer.store.elasticsearch import ElasticsearchStore

    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    es = ElasticsearchStore(es_url, index=prefix, timeout=60)
    try:
        yield es
    finally:
        delete_indices(es_url, prefix)
        es.close()


def delete_indices(es_url: str, prefix: str) -> None:
    """Drop every index of a benchmark prefix (aliases go with them)."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url)
    try:
        names = list(client.indices.get(index=f"{prefix}-*", expand_wildcards="all").body)
        if names:
            client.indices.delete(index=",".join(names))
    finally:
        client.close()


def _expected_events(groups: Sequence[Sequence[Article]], probe_ids: set[str]) -> dict[str, str]:
    """Which event each probe belongs in: its happening's prefilled event, or the one its
    happening's first probe founds (a perfect assigner would produce exactly these)."""
    expected: dict[str, str] = {}
    for group in groups:
        kept = [a for a in group if a.id not in probe_ids]
        founder = kept[0] if kept else arrival_order([[a for a in group if a.id in probe_ids]])[0]
        for article in group:
            if article.id in probe_ids:
                expected[article.id] = event_id_for(founder)
    return expected


def _measure_size(
    size: int, backends: Sequence[str], es_url: str, probes: int, seed: int, max_prefill_s: float
) -> list[dict[str, Any]]:
    """Prefill each backend with ``size`` articles, then assign the same probes on each in turn."""
    groups = synthetic_groups(size + probes, seed)
    probe_articles = arrival_order(groups)[-probes:]
    probe_ids = {a.id for a in probe_articles}
    base = [kept for g in groups if (kept := [a for a in g if a.id not in probe_ids])]
    expected = _expected_events(groups, probe_ids)
    events = prefilled_events(base)
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        benches: list[_Bench] = []
        for backend in backends:
            store = stack.enter_context(open_bench_store(backend, es_url))
            bench = _Bench(backend, store)
            start = time.perf_counter()
            prefill(store, events)
            bench.prefill_s = time.perf_counter() - start
            if bench.prefill_s > max_prefill_s:
                rows.append({"size": size, "backend": backend, "aborted": True,
                             "prefill_s": bench.prefill_s})
                continue
            benches.append(bench)
        for i, article in enumerate(probe_articles):
            terms = similarity.retrieval_terms(article, RETRIEVAL_TERMS)
            # Take turns, starting with a different backend each time.
            for bench in benches[i % len(benches):] + benches[: i % len(benches)]:
                _probe(bench, article, terms, expected[article.id])
        for bench in benches:
            rows.append({
                "size": size,
                "backend": bench.backend,
                "aborted": False,
                "prefill_s": bench.prefill_s,
                "prefill_articles_per_s": size / bench.prefill_s,
                "probes": len(bench.assign_ms),
                "median_ms": statistics.median(bench.assign_ms),
                "p95_ms": percentile(bench.assign_ms, 95),
                "new_median_ms": _median(bench.new_ms),
                "join_median_ms": _median(bench.join_ms),
                "retrieve_median_ms": statistics.median(bench.retrieve_ms),
                "candidates_median": statistics.median(bench.candidates),
                "candidates_max": max(bench.candidates),
                "joined": bench.joined,
                "correct": bench.correct,
            })  # fmt: skip
    return rows


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _probe(bench: _Bench, article: Article, terms: list[str], expected: str) -> None:
    """Store one article (untimed), then time candidate retrieval alone and the whole assignment."""
    start = time.perf_counter()
    found = bench.store.candidate_events(terms, CANDIDATES)
    bench.retrieve_ms.append(1000 * (time.perf_counter() - start))
    bench.candidates.append(len(found))
    bench.store.put_article(article)
    start = time.perf_counter()
    event = assign_article(bench.store, article)
    elapsed = 1000 * (time.perf_counter() - start)
    bench.assign_ms.append(elapsed)
    joined = event.id != event_id_for(article)
    bench.joined += joined
    (bench.join_ms if joined else bench.new_ms).append(elapsed)
    bench.correct += event.id == expected


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    backends: Sequence[str] = BACKENDS,
    *,
    es_sizes: Sequence[int] | None = None,
    es_url: str = DEFAULT_ES_URL,
    probes: int = 100,
    seed: int = 7,
    max_prefill_s: float = 600.0,
    plot: Path | None = None,
) -> dict[str, Any]:
    """Assignment cost per article at each index size, per backend; optionally a PNG plot.

    ``es_sizes`` limits the sizes Elasticsearch runs at (bulk-loading 50k documents into a
    small single node is the slow part, not what is measured).
    """
    rows: list[dict[str, Any]] = []
    for size in sizes:
        active = [b for b in backends
                  if b != "elasticsearch" or es_sizes is None or size in es_sizes]
        rows += _measure_size(size, active, es_url, probes, seed, max_prefill_s)
    result: dict[str, Any] = {"probes": probes, "seed": seed, "candidates_limit": CANDIDATES,
                              "rows": rows, "plot": None}
    if plot is not None:
        result["plot"] = str(draw(rows, plot))
    return result


def draw(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Median and p95 ms per assignment against index size, one line per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for backend in BACKENDS:
        mine = sorted((r for r in rows if r["backend"] == backend and not r["aborted"]),
                      key=lambda r: r["size"])
        if not mine:
            continue
        xs = [r["size"] for r in mine]
        line = ax.plot(xs, [r["median_ms"] for r in mine], marker="o", label=f"{backend} median")
        ax.plot(xs, [r["p95_ms"] for r in mine], marker="x", linestyle="--",
                color=line[0].get_color(), label=f"{backend} p95")
    ax.set_xscale("log")
    top = max((r["p95_ms"] for r in rows if not r["aborted"]), default=1.0)
    ax.set_ylim(0, top * 1.35)  # headroom for the legend above the lines
    ax.set_xlabel("articles already in the index")
    ax.set_ylabel("ms per assign_article")
    ax.set_title("Event assignment cost as the index grows")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center", ncol=2, fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_report(result: dict[str, Any]) -> str:
    """Markdown table: index size x backend -> ms per assignment."""
    lines = [
        f"{result['probes']} newest articles assigned per size and backend (taking turns), "
        f"after prefilling the rest; seed {result['seed']}, at most "
        f"{result['candidates_limit']} candidate events retrieved.",
        "",
        "| articles in index | backend | median ms | p95 ms | new event ms | join ms "
        "| retrieval ms | candidates (median/max) | joined | right event | prefill articles/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        if r["aborted"]:
            lines.append(f"| {r['size']:,} | {r['backend']} | aborted: prefill took "
                         f"{r['prefill_s']:.0f} s | | | | | | | | |")
            continue
        lines.append(
            f"| {r['size']:,} | {r['backend']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {_fmt(r['new_median_ms'])} | {_fmt(r['join_median_ms'])} "
            f"| {r['retrieve_median_ms']:.1f} "
            f"| {r['candidates_median']:.0f}/{r['candidates_max']} | {r['joined']}/{r['probes']} "
            f"| {r['correct']}/{r['probes']} | {r['prefill_articles_per_s']:.0f} |"
        )
    if result.get("plot"):
        lines += ["", f"Plot: `{result['plot']}`"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m indexer.benchmarks.assign --sizes 1000 10000 50000``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--es-sizes", type=int, nargs="*", default=None,
                        help="sizes to run on Elasticsearch too (default: all of --sizes)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--es-url", default=DEFAULT_ES_URL)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-prefill-seconds", type=float, default=600.0)
    parser.add_argument("--plot", type=Path, default=Path("docs/bench/assign.png"))
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    result = run(args.sizes, args.backends, es_sizes=args.es_sizes, es_url=args.es_url,
                 probes=args.probes, seed=args.seed, max_prefill_s=args.max_prefill_seconds,
                 plot=args.plot)
    print(json.dumps(result, indent=2) if args.json else format_report(result))


if __name__ == "__main__":
    main()

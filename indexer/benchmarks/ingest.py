"""Ingest throughput: one article at a time from 1, 2 or 4 worker processes, against the floor.

Every row is measured in the same run as its floor:

* **no NLP** (``--no-nlp``, the default): synthetic articles with their metadata built in
  (``corpus.py``) are written with ``put_article`` + ``assign_article`` from W processes, each
  with its own store handle, as gunicorn workers would; the store already holds ``--articles``
  of them, so the same command at 1k and 100k shows whether ingest stays flat. The floor is a
  bulk load of the same documents (``helpers.bulk`` on Elasticsearch, one transaction on
  SQLite): ``workers: 0``.
* **with NLP** (``--nlp``): the same texts through the real pipeline in W processes and then
  stored and assigned; and ``storyrecords index`` over the same texts as files, against the
  floor spaCy reaches on its own, ``nlp.pipe(texts, n_process=2)``.

``--profile`` (no NLP, one process) also shows where one article's time goes: every store
call per article, and on Elasticsearch the HTTP requests behind them.

``--json`` prints ``{"search": [], "ingest": [rows]}``; a row has ``articles`` (in the store
before the timed ones), ``backend``, ``workers``, ``nlp``, ``articles_per_s`` and ``path``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from indexer.benchmarks.assign import delete_indices
from indexer.benchmarks.corpus import (
    arrival_order,
    as_submitted,
    prefill,
    prefilled_events,
    synthetic_groups,
)
from indexer.jobs import BATCH_LINES
from indexer.models import Article
from indexer.store.base import Store

DEFAULT_ES_URL = "http://127.0.0.1:9200"
BACKENDS = ("embedded", "elasticsearch")


def _open(backend: str, where: str) -> Store:
    if backend == "embedded":
        from indexer.store.embedded import EmbeddedStore

        return EmbeddedStore(Path(where) / "storyrecords.sqlite3")
    from indexer.store.elasticsearch import ElasticsearchStore

    url, prefix = where.split(" ", 1)
    return ElasticsearchStore(url, index=prefix, timeout=60)


@contextmanager
def _fresh(backend: str, es_url: str) -> Iterator[str]:
    """Where an empty store of ``backend`` lives, removed afterwards."""
    if backend == "embedded":
        folder = tempfile.mkdtemp(prefix="bench-ingest-")
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    prefix = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    try:
        yield f"{es_url} {prefix}"
    finally:
        delete_indices(es_url, prefix)


def _split(groups: Sequence[Sequence[Article]], size: int) -> tuple[list[Any], list[Article]]:
    """The whole happenings that fill a store of about ``size`` articles, and the articles
    of the rest in arrival order, unassigned: what the timed ingest stores one at a time."""
    prefilled: list[Any] = []
    rest: list[Any] = []
    loaded = 0
    for event in prefilled_events(groups):
        (prefilled if loaded < size else rest).append(event)
        loaded += len(event[1])
    timed = arrival_order([members for _, members, _ in rest])
    return prefilled, [replace(a, event_id=None) for a in timed]


def _age_prefill() -> None:
    """Let the prefilled events age past the assignment's recent margin, as in a running store.

    Every assignment also looks at events founded in the last few seconds
    (``events_founded_since``); right after a prefill that is all of them, which no running
    service ever sees.
    """
    from indexer.events.assign import RECENT_MARGIN_US

    time.sleep(RECENT_MARGIN_US / 1_000_000 + 0.5)


def _disk_bytes(backend: str, where: str) -> int:
    """The prefilled store's size on disk (articles, events, stories and their indexes)."""
    from indexer.benchmarks.load import disk_bytes

    if backend == "embedded":
        return disk_bytes(backend, Path(where), "", "")
    url, prefix = where.split(" ", 1)
    return disk_bytes(backend, Path(), url, prefix)


def _ingest_share(args: tuple[str, str, list[Article], bool]) -> tuple[int, float]:
    """One worker process: its own store handle (and model), its share one at a time.

    Returns the articles and the seconds they took, counted once the store is open and the
    model loaded, as in a worker that is already running: opening a 100k store (its page
    cache cold) is a start-up cost, not a per-article one.
    """
    from indexer.events.assign import assign_article

    backend, where, articles, nlp = args
    store = _open(backend, where)
    extract = None
    if nlp:
        from indexer.ingest import build_article, default_extractor
        from indexer.models import ArticleInput

        extract, version = default_extractor()
    started = time.perf_counter()
    for article in articles:
        if extract is not None:
            item = ArticleInput(text=article.text, title=article.title, source=article.source,
                                published_at=article.published_at)
            article = build_article(item, extract(item), version)
        store.put_article(article)
        assign_article(store, article)
    spent = time.perf_counter() - started
    store.close()
    return len(articles), spent


def _parallel(backend: str, where: str, articles: Sequence[Article], workers: int,
              nlp: bool) -> float:
    """Articles per second of ``workers`` running processes ingesting ``articles`` between
    them: all articles over the longest worker's time (start-up left out)."""
    shares = [list(articles[w::workers]) for w in range(workers)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        results = pool.map(_ingest_share, [(backend, where, s, nlp) for s in shares])
    return sum(n for n, _ in results) / max(spent for _, spent in results)


def _bulk_floor(backend: str, es_url: str, articles: Sequence[Article]) -> float:
    """Articles per second of loading the same documents in bulk into an empty store."""
    with _fresh(backend, es_url) as where:
        store = _open(backend, where)
        store.ping()
        started = time.perf_counter()
        if backend == "embedded":
            store.put_articles(list(articles))
        else:
            from elasticsearch import helpers

            from indexer.store.es_compile import article_document

            es: Any = store
            helpers.bulk(
                es._client,
                ({"_op_type": "create", "_index": es.alias, "_id": a.id,
                  "_source": article_document(a)} for a in articles),
                chunk_size=500, request_timeout=120,
            )
        spent = time.perf_counter() - started
        store.close()
    return len(articles) / spent


def no_nlp_rows(
    backend: str, sizes: Sequence[int], workers: Sequence[int], sample: int, es_url: str,
    seed: int,
) -> list[dict[str, Any]]:
    """For each store size: bulk floor, then W processes ingesting fresh articles."""
    rows = []
    for size in sizes:
        prefilled, timed = _split(synthetic_groups(size + sample * (len(workers) + 2), seed),
                                  size)
        with _fresh(backend, es_url) as where:
            store = _open(backend, where)
            store.ping()
            prefill(store, prefilled)
            in_store = store.count_articles()
            store.close()
            disk = _disk_bytes(backend, where)
            _age_prefill()
            floor = _bulk_floor(backend, es_url, timed[:sample])
            rows.append({**_row(in_store, backend, 0, False, floor, "bulk load"),
                         "disk_mib_per_1k": round(disk / 2**20 / (in_store / 1000), 2)})
            for n, count in enumerate(workers):
                batch = timed[(n + 1) * sample:(n + 2) * sample] or timed[:sample]
                rate = _parallel(backend, where, batch, count, nlp=False)
                rows.append(_row(in_store, backend, count, False, rate, "put + assign"))
            rest = timed[(len(workers) + 1) * sample:(len(workers) + 2) * sample] or timed[:sample]
            rows.append(_row(in_store, backend, 1, False, _batched(backend, where, rest),
                             f"ingest in batches of {BATCH_LINES}"))
    return rows


def _batched(backend: str, where: str, articles: Sequence[Article]) -> float:
    """Articles per second of ``Indexer.ingest_batch`` (what ``index``, bulk requests and
    bulk jobs run), one process, batches of :data:`BATCH_LINES`; duplicate lookups
    included, which the put + assign rows leave out."""
    from indexer.ingest import Indexer

    store = _open(backend, where)
    indexer = Indexer(store, _never, "bench-1")
    items = as_submitted(articles)
    started = time.perf_counter()
    for start in range(0, len(items), BATCH_LINES):
        failed = [r for r in indexer.ingest_batch(items[start:start + BATCH_LINES])
                  if isinstance(r, Exception)]
        if failed:
            raise RuntimeError(f"the batched ingest failed: {failed[0]}")
    spent = time.perf_counter() - started
    store.close()
    return len(items) / spent


def _never(item: Any) -> Any:
    raise AssertionError("the benchmark's articles come with their extraction")


class _CallProfile:
    """Times every public method of one store handle (and the lock's enter and exit)."""

    def __init__(self, store: Store) -> None:
        self.spent: dict[str, list[float]] = {}
        for name in dir(store):
            attr = getattr(store, name, None)
            if name.startswith("_") or not callable(attr) or name in ("close", "ping"):
                continue
            setattr(store, name, self._timed(name, attr))

    def _note(self, name: str, started: float) -> None:
        self.spent.setdefault(name, []).append(time.perf_counter() - started)

    def _timed(self, name: str, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = method(*args, **kwargs)
            self._note(name, started)
            if hasattr(result, "__enter__"):
                return self._timed_context(name, result)
            return result

        return call

    @contextmanager
    def _timed_context(self, name: str, context: Any) -> Iterator[Any]:
        started = time.perf_counter()
        value = context.__enter__()
        self._note(f"{name} (enter)", started)
        try:
            yield value
        except BaseException as exc:
            context.__exit__(type(exc), exc, exc.__traceback__)
            raise
        started = time.perf_counter()
        context.__exit__(None, None, None)
        self._note(f"{name} (exit)", started)


@contextmanager
def _http_requests() -> Iterator[dict[str, list[float]]]:
    """Every request the Elasticsearch client sends meanwhile, timed, by method and endpoint."""
    from elasticsearch import Elasticsearch

    seen: dict[str, list[float]] = {}
    original = Elasticsearch.perform_request

    def timed(self: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, method, path, *args, **kwargs)
        finally:
            parts = path.split("?")[0].split("/")
            key = method + " " + "/".join(p if p.startswith("_") else "…" for p in parts)
            if "refresh" in str(kwargs.get("params") or "") or "refresh=" in path:
                key += " (refresh)"
            seen.setdefault(key, []).append(time.perf_counter() - started)

    Elasticsearch.perform_request = timed  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Elasticsearch.perform_request = original  # type: ignore[method-assign]


def profile_rows(backend: str, size: int, sample: int, es_url: str,
                 seed: int) -> dict[str, Any]:
    """One process, one article at a time into a store of ``size``: the time of each call."""
    from indexer.events.assign import assign_article

    prefilled, timed = _split(synthetic_groups(size + sample * 2, seed), size)
    timed = timed[:sample]
    with _fresh(backend, es_url) as where:
        store = _open(backend, where)
        store.ping()
        prefill(store, prefilled)
        in_store = store.count_articles()
        _age_prefill()
        calls = _CallProfile(store)
        with _http_requests() as requests:
            started = time.perf_counter()
            for article in timed:
                store.put_article(article)
                assign_article(store, article)
            spent = time.perf_counter() - started
        store.close()
    per = len(timed)
    return {
        "backend": backend, "articles": in_store, "sample": per,
        "ms_per_article": round(1000 * spent / per, 1),
        "calls": [{"call": name, "per_article": round(len(v) / per, 2),
                   "ms_per_article": round(1000 * sum(v) / per, 1)}
                  for name, v in sorted(calls.spent.items(), key=lambda kv: -sum(kv[1]))],
        "requests": [{"request": name, "per_article": round(len(v) / per, 2),
                      "ms_per_article": round(1000 * sum(v) / per, 1),
                      "median_ms": round(1000 * sorted(v)[len(v) // 2], 1)}
                     for name, v in sorted(requests.items(), key=lambda kv: -sum(kv[1]))],
    }


def format_profile(profile: dict[str, Any]) -> str:
    """The two profile tables; store calls nest (a lock's exit includes nothing else)."""
    lines = [
        f"{profile['backend']}: {profile['sample']} articles one at a time into "
        f"{profile['articles']:,}, {profile['ms_per_article']} ms each "
        "(store calls can nest: put_event's time includes none of the others)",
        "", "| store call | calls/article | ms/article |", "|---|---|---|",
    ]
    lines += [f"| {c['call']} | {c['per_article']} | {c['ms_per_article']} |"
              for c in profile["calls"]]
    if profile["requests"]:
        total = sum(r["per_article"] for r in profile["requests"])
        lines += ["", f"HTTP requests to Elasticsearch: {total:.1f} per article", "",
                  "| request | per article | ms/article | median ms |", "|---|---|---|---|"]
        lines += [f"| {r['request']} | {r['per_article']} | {r['ms_per_article']} "
                  f"| {r['median_ms']} |" for r in profile["requests"]]
    return "\n".join(lines)


def nlp_rows(
    backend: str, workers: Sequence[int], sample: int, es_url: str, seed: int
) -> list[dict[str, Any]]:
    """Real extraction: W processes against nlp.pipe(n_process=2), and storyrecords index."""
    articles = arrival_order(synthetic_groups(sample * (len(workers) + 1), seed))
    texts = [a.text for a in articles[:sample]]
    rows = [_row(0, "none", 0, True, _spacy_floor(texts), "spaCy nlp.pipe n_process=2")]
    for n, count in enumerate(workers):
        batch = articles[(n + 1) * sample:(n + 2) * sample] or articles[:sample]
        with _fresh(backend, es_url) as where:
            rate = _parallel(backend, where, batch, count, nlp=True)
        rows.append(_row(0, backend, count, True, rate, "extract + put + assign"))
    with _fresh(backend, es_url) as where:
        rows.append(_row(0, backend, 2, True, _index_command(backend, where, articles[:sample]),
                         "storyrecords index"))
    return rows


def _spacy_floor(texts: Sequence[str]) -> float:
    """spaCy alone over the texts: the best batch size of a few, two processes."""
    import spacy

    from indexer.pipeline import MODEL_NAME

    nlp = spacy.load(MODEL_NAME)
    best = 0.0
    for batch_size in (16, 64):
        started = time.perf_counter()
        for _ in nlp.pipe(texts, n_process=2, batch_size=batch_size):
            pass
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def _index_command(backend: str, where: str, articles: Sequence[Article]) -> float:
    """``storyrecords index`` over the texts as .txt files, as an operator would run it."""
    folder = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        for n, article in enumerate(articles):
            (folder / f"{n:05d}.txt").write_text(f"{article.title}\n{article.text}\n",
                                                 encoding="utf-8")
        env = {**os.environ}
        if backend == "embedded":
            env.update(STORYRECORDS_DATA_DIR=where, STORYRECORDS_ELASTICSEARCH_URL="")
        else:
            url, prefix = where.split(" ", 1)
            env.update(STORYRECORDS_ELASTICSEARCH_URL=url, STORYRECORDS_ELASTICSEARCH_INDEX=prefix)
        script = str(Path(sys.executable).with_name("storyrecords"))
        started = time.perf_counter()
        subprocess.run([script, "index", "--no-progress", "--published-at", "2022-01-11",
                        str(folder)], env=env, check=True, capture_output=True)
        return len(articles) / (time.perf_counter() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _row(articles: int, backend: str, workers: int, nlp: bool, rate: float,
         path: str) -> dict[str, Any]:
    return {"articles": articles, "backend": backend, "workers": workers, "nlp": nlp,
            "articles_per_s": round(rate, 2), "path": path}


def format_report(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown table; each row's ratio is to the floor of its backend and size."""
    floors = {(r["backend"], r["articles"], r["nlp"]): r["articles_per_s"]
              for r in rows if r["workers"] == 0}
    spacy_floor = next((r["articles_per_s"] for r in rows if r["backend"] == "none"), None)
    lines = [
        f"{os.cpu_count()} CPUs shared by the store, the workers and (for Elasticsearch) the "
        "server.",
        "",
        "| backend | in store | path | workers | NLP | articles/s | vs floor | disk MiB per 1k |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor = spacy_floor if r["nlp"] else floors.get((r["backend"], r["articles"], False))
        ratio = f"{r['articles_per_s'] / floor:.2f}x" if floor and r["workers"] else "floor"
        lines.append(
            f"| {r['backend']} | {r['articles']:,} | {r['path']} | {r['workers']} "
            f"| {'yes' if r['nlp'] else 'no'} | {r['articles_per_s']:.1f} | {ratio} "
            f"| {r.get('disk_mib_per_1k', '')} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``storyrecords bench ingest --articles 1000 100000 --workers 1 2 4``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, nargs="+", default=[1000],
                        help="articles already in the store when the timed ingest starts")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--sample", type=int, default=300,
                        help="articles ingested one at a time per measurement")
    parser.add_argument("--nlp", action=argparse.BooleanOptionalAction, default=False,
                        help="run the real pipeline (and compare with spaCy's nlp.pipe)")
    parser.add_argument("--backend", choices=BACKENDS, nargs="+", default=list(BACKENDS))
    parser.add_argument("--es-url", default=DEFAULT_ES_URL)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--profile", action="store_true",
                        help="where one article's time goes (store calls, HTTP requests)")
    args = parser.parse_args(argv)
    if args.profile:
        profiles = [profile_rows(b, args.articles[0], args.sample, args.es_url, args.seed)
                    for b in args.backend]
        print(json.dumps({"profile": profiles}, indent=2) if args.json
              else "\n\n".join(format_profile(p) for p in profiles))
        return
    rows: list[dict[str, Any]] = []
    for backend in args.backend:
        if args.nlp:
            rows += nlp_rows(backend, args.workers, args.sample, args.es_url, args.seed)
        else:
            rows += no_nlp_rows(backend, args.articles, args.workers, args.sample, args.es_url,
                                args.seed)
    print(json.dumps({"search": [], "ingest": rows}, indent=2) if args.json
          else format_report(rows))


if __name__ == "__main__":
    main()

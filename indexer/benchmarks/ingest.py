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
from indexer.benchmarks.corpus import arrival_order, prefill, prefilled_events, synthetic_groups
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


def _ingest_share(args: tuple[str, str, list[Article], bool]) -> int:
    """One worker process: its own store handle (and model), its share one at a time."""
    from indexer.events.assign import assign_article

    backend, where, articles, nlp = args
    store = _open(backend, where)
    extract = None
    if nlp:
        from indexer.ingest import build_article, default_extractor
        from indexer.models import ArticleInput

        extract, version = default_extractor()
    for article in articles:
        if extract is not None:
            item = ArticleInput(text=article.text, title=article.title, source=article.source,
                                published_at=article.published_at)
            article = build_article(item, extract(item), version)
        store.put_article(article)
        assign_article(store, article)
    store.close()
    return len(articles)


def _parallel(backend: str, where: str, articles: Sequence[Article], workers: int,
              nlp: bool) -> float:
    """Articles per second of ``workers`` processes ingesting ``articles`` between them."""
    shares = [list(articles[w::workers]) for w in range(workers)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        started = time.perf_counter()
        done = sum(pool.map(_ingest_share, [(backend, where, s, nlp) for s in shares]))
        spent = time.perf_counter() - started
    return done / spent


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
        groups = synthetic_groups(size + sample * (len(workers) + 1), seed)
        events = prefilled_events(groups)
        loaded = 0
        prefilled: list[Any] = []
        rest: list[Any] = []
        for event in events:
            (prefilled if loaded < size else rest).append(event)
            loaded += len(event[1])
        timed = arrival_order([members for _, members, _ in rest])
        timed = [replace(a, event_id=None) for a in timed]
        with _fresh(backend, es_url) as where:
            store = _open(backend, where)
            store.ping()
            prefill(store, prefilled)
            in_store = store.count_articles()
            store.close()
            floor = _bulk_floor(backend, es_url, timed[:sample])
            rows.append(_row(in_store, backend, 0, False, floor, "bulk load"))
            for n, count in enumerate(workers):
                batch = timed[(n + 1) * sample:(n + 2) * sample] or timed[:sample]
                rate = _parallel(backend, where, batch, count, nlp=False)
                rows.append(_row(in_store, backend, count, False, rate, "put + assign"))
    return rows


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
        "| backend | in store | path | workers | NLP | articles/s | vs floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor = spacy_floor if r["nlp"] else floors.get((r["backend"], r["articles"], False))
        ratio = f"{r['articles_per_s'] / floor:.2f}x" if floor and r["workers"] else "floor"
        lines.append(
            f"| {r['backend']} | {r['articles']:,} | {r['path']} | {r['workers']} "
            f"| {'yes' if r['nlp'] else 'no'} | {r['articles_per_s']:.1f} | {ratio} |"
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
    args = parser.parse_args(argv)
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

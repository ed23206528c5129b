"""Syndicated copies found *through the store*: ``duplicate_of`` as ingest sets it, end to end.

The pairwise scorer (:mod:`indexer.evaluation.duplicates`) judges the signature comparison
alone, on every pair. Ingest cannot compare every pair: it asks the store's full-text search
for candidates (:mod:`indexer.duplicates`) and compares only those. This scorer ingests the
same ECB+ articles and their seeded copies (trimmed, re-headlined, wrapped in boilerplate, all
three) into a fresh embedded store, topic by topic, each topic's articles before their copies
(the copies in a seeded random order), with the text stored as sent (no NLP, so it measures
retrieval and comparison, not extraction), and scores the ``duplicate_of`` of every record
against the exact word 5-grams (not the MinHash estimate):

* a pointer is *true* when it is at the copy's own original or an earlier copy of it, or when
  at least half of the smaller text's 5-grams are in the other one (the detector's own
  containment threshold, measured exactly); precision is over pointers;
* a copy is *found* when it has a true pointer: at its original, an earlier copy of it, or an
  earlier ECB+ article it also copies (the corpus holds some syndication of its own; how many
  found copies point at their own original is reported too);
* an ECB+ article with a true pointer is one of the corpus's own copies, found.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from indexer.dedup import CONTAINMENT_THRESHOLD, shingles
from indexer.evaluation.duplicates import (
    DEFAULT_DIR,
    KINDS,
    SEED,
    _headline,
    copies,
    read_texts,
)
from indexer.ingest import Indexer
from indexer.models import ArticleInput, Extraction

__all__ = ["DEFAULT_DIR", "format_report", "run"]


def _as_sent(item: ArticleInput) -> Extraction:
    return Extraction(text=item.text.strip())


def run(folder: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Ingest every article and its four copies; score the stored ``duplicate_of``."""
    from indexer.store.embedded import EmbeddedStore

    rng = random.Random(SEED)
    topics = read_texts(folder, limit)
    headlines = [(topic, _headline(text)) for topic, docs in topics.items() for _, text in docs]
    counts: Counter[str] = Counter()
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "copies.sqlite3")
        indexer = Indexer(store, _as_sent, "copies-eval")
        story: dict[str, str] = {}  # stored id -> the ECB+ document it tells
        try:
            for topic, docs in topics.items():
                texts = [text for _, text in docs]
                made: list[tuple[str, str, str]] = []
                for name, text in docs:
                    others = [h for t, h in headlines if t != topic] or ["Breaking news"]
                    for kind, copy in copies(text, [t for t in texts if t != text] or texts,
                                             rng.choice(others), rng).items():
                        made.append((name, kind, copy))
                rng.shuffle(made)
                queue = [(name, "original", text) for name, text in docs] + made
                for name, kind, text in queue:
                    started = time.perf_counter()
                    result = indexer.ingest(ArticleInput(text=text, language="en"))
                    seconds += time.perf_counter() - started
                    article = result.article
                    if not result.created:
                        counts["identical (not stored twice)"] += 1
                        continue
                    story[article.id] = name
                    counts[f"{kind}.total"] += 1
                    target = article.duplicate_of
                    if target is None:
                        continue
                    true_copy = story[target] == name or _containment(
                        text, store.get_article(target).text) >= CONTAINMENT_THRESHOLD
                    counts["pointers"] += 1
                    counts["true pointers"] += true_copy
                    if kind == "original":
                        counts["original.false" if not true_copy else "corpus copies found"] += 1
                    elif true_copy:
                        counts[f"{kind}.found"] += 1
                        counts["own story"] += story[target] == name
                    else:
                        counts[f"{kind}.false"] += 1
        finally:
            store.close()
    found = sum(counts[f"{k}.found"] for k in KINDS)
    total = sum(counts[f"{k}.total"] for k in KINDS)
    ingested = sum(counts[f"{k}.total"] for k in ("original", *KINDS))
    return {
        "corpus": "ecbplus-copies, through the store",
        "documents": counts["original.total"],
        "copies": total,
        "precision": round(counts["true pointers"] / counts["pointers"], 4)
        if counts["pointers"] else 0.0,
        "recall": round(found / total, 4) if total else 0.0,
        "recall_by_kind": {k: {"found": counts[f"{k}.found"], "total": counts[f"{k}.total"]}
                           for k in KINDS},
        "false_copies": {k: counts[f"{k}.false"] for k in ("original", *KINDS)},
        "found_pointing_at_own_original": counts["own story"],
        "corpus_copies_found": counts["corpus copies found"],
        "ingests_per_second": round(ingested / seconds, 1) if seconds else None,
    }


def _containment(a: str, b: str) -> float:
    """Exact share of the smaller text's word 5-grams that the other one has too."""
    left, right = shingles(a), shingles(b)
    smaller = min(len(left), len(right))
    return len(left & right) / smaller if smaller else 0.0


def format_report(result: dict[str, Any]) -> str:
    """The numbers as a few readable lines."""
    kinds = ", ".join(f"{k} {v['found']}/{v['total']}" for k, v in
                      result["recall_by_kind"].items())
    return (
        f"{result['corpus']}: {result['documents']} articles, {result['copies']} copies\n"
        f"precision {result['precision']:.3f}  recall {result['recall']:.3f}\n"
        f"recall by kind: {kinds}\n"
        f"false copies: {result['false_copies']}; corpus copies found: "
        f"{result['corpus_copies_found']}\n"
        f"{result['ingests_per_second']} ingests/s (no NLP, embedded store, with assignment)"
    )

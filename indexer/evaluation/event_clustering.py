"""Shared machinery of the event-merging scorers: cached extraction, a store-like incremental
assignment, and clustering metrics (B³ and pairwise).

The simulation mimics what the store does at ingest, with no topic information: for each
article in turn, retrieve the ``CANDIDATES`` events whose indexed terms overlap most with the
article's :func:`retrieval_terms` (an OR query; score = number of matched terms, ties by id),
then let :func:`choose` pick one or open a new event.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.events.similarity import (
    Signature,
    choose,
    combine,
    retrieval_terms,
    signature,
)
from indexer.models import Article
from indexer.pipeline import EXTRACTOR_VERSION, default_pipeline

CANDIDATES = 20
SEED = 13


def cache_dir(corpus: str) -> Path:
    """Where extractions are cached: ``$STORYRECORDS_CACHE`` or the system temp dir."""
    root = Path(os.environ.get("STORYRECORDS_CACHE", Path(tempfile.gettempdir())))
    path = root / "storyrecords-cache" / corpus
    path.mkdir(parents=True, exist_ok=True)
    return path


def extract_cached(
    corpus: str, doc_id: str, raw: bytes, text: str, published_at: str | None
) -> Article:
    """Run the real pipeline once per (file bytes, extractor version); reruns read the cache."""
    key = hashlib.sha256(raw + f"\x00{EXTRACTOR_VERSION}\x00{published_at}".encode()).hexdigest()
    path = cache_dir(corpus) / f"{key[:32]}.json"
    if path.exists():
        return Article.from_dict(json.loads(path.read_text(encoding="utf-8")))
    extraction = default_pipeline().extract(text, published_at=published_at)
    article = Article(
        id=doc_id,
        text=extraction.text,
        content_hash=key,
        extractor_version=EXTRACTOR_VERSION,
        indexed_at="",
        published_at=published_at,
        parties=extraction.parties,
        venues=extraction.venues,
        places=extraction.places,
        dates=extraction.dates,
        demands=extraction.demands,
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(article.to_dict()), encoding="utf-8")
    tmp.replace(path)
    return article


def shuffled(ids: Sequence[str], seed: int = SEED) -> list[str]:
    """The documented arrival order: sorted ids shuffled by a seeded RNG (topics interleave)."""
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    return order


@dataclass(frozen=True)
class Prepared:
    """An article reduced to what assignment needs (computed once, reused across thresholds)."""

    id: str
    signature: Signature
    terms: tuple[str, ...]


def prepare(articles: Mapping[str, Article]) -> dict[str, Prepared]:
    """Signatures and retrieval terms of every article."""
    return {
        doc_id: Prepared(doc_id, signature(a), tuple(retrieval_terms(a)))
        for doc_id, a in articles.items()
    }


def assign(
    prepared: Mapping[str, Prepared],
    order: Sequence[str],
    threshold: float | None = None,
    chooser: Callable[..., str | None] = choose,
) -> dict[str, str]:
    """Incremental assignment in ``order``: document id -> predicted event id."""
    postings: dict[str, set[str]] = defaultdict(set)
    events: dict[str, Signature] = {}
    out: dict[str, str] = {}
    for doc_id in order:
        item = prepared[doc_id]
        hits: Counter[str] = Counter()
        for term in set(item.terms):
            for event_id in postings.get(term, ()):
                hits[event_id] += 1
        top = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES]
        candidates = [(event_id, events[event_id]) for event_id, _ in top]
        chosen = chooser(item.signature, candidates, threshold)
        if chosen is None:
            chosen = f"e{len(events):05d}"
            events[chosen] = item.signature
        else:
            events[chosen] = combine(events[chosen], item.signature)
        for term in item.terms:
            postings[term].add(chosen)
        out[doc_id] = chosen
    return out


def b_cubed(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> dict[str, float]:
    """B³ precision, recall and F1 over the documents both mappings hold."""
    docs = sorted(set(pred) & set(gold))
    by_pred: dict[Hashable, set[str]] = defaultdict(set)
    by_gold: dict[Hashable, set[str]] = defaultdict(set)
    for d in docs:
        by_pred[pred[d]].add(d)
        by_gold[gold[d]].add(d)
    p = r = 0.0
    for d in docs:
        both = len(by_pred[pred[d]] & by_gold[gold[d]])
        p += both / len(by_pred[pred[d]])
        r += both / len(by_gold[gold[d]])
    n = max(len(docs), 1)
    return _prf(p / n, r / n)


def pairwise(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> dict[str, float]:
    """Precision, recall and F1 over document pairs placed in one cluster."""
    docs = sorted(set(pred) & set(gold))
    tp = fp = fn = 0
    for i, a in enumerate(docs):
        for b in docs[i + 1:]:
            same_pred = pred[a] == pred[b]
            same_gold = gold[a] == gold[b]
            tp += same_pred and same_gold
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return _prf(p, r)


def _prf(p: float, r: float) -> dict[str, float]:
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def scores(pred: Mapping[str, str], gold: Mapping[str, str]) -> dict[str, object]:
    """B³, pairwise and cluster counts in one dict."""
    return {
        "b3": b_cubed(pred, gold),
        "pairwise": pairwise(pred, gold),
        "predicted_clusters": len(set(pred.values())),
        "gold_clusters": len(set(gold.values())),
        "documents": len(pred),
    }


def store_assign(articles: Mapping[str, Article], order: Sequence[str]) -> dict[str, str]:
    """The production path: each article stored in a fresh embedded store and assigned there.

    Candidates come from the store's full-text retrieval and matched events are folded
    together as in the service; the events are then read back from the store.
    """
    import dataclasses

    from indexer.events.assign import assign_article
    from indexer.store.embedded import EmbeddedStore
    from indexer.timefmt import now_iso

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(Path(folder) / "eval.sqlite3")
        for doc_id in order:
            article = dataclasses.replace(articles[doc_id], indexed_at=now_iso(), event_id=None)
            store.put_article(article)
            assign_article(store, article)
        out = {doc_id: store.get_article(doc_id).event_id or doc_id for doc_id in order}
        store.close()
    return out

"""Shared machinery of the event-merging scorers: cached extraction, a store-like incremental
assignment, and clustering metrics (B³ and pairwise).

The simulation mimics what the store does at ingest, with no topic information: for each
article in turn, retrieve the ``CANDIDATES`` events whose indexed terms overlap most with the
article's :func:`retrieval_terms` (an OR query; score = number of matched terms, ties by id),
then let :func:`choose` pick one or open a new event.
"""

from __future__ import annotations

import dataclasses
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
from indexer.events.splits import MIN_PART, split_members
from indexer.models import Article, Event, Extraction
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
    articles: Mapping[str, Article] | None = None,
) -> dict[str, str]:
    """Incremental assignment in ``order``: document id -> predicted event id.

    With ``articles``, an event that an article has just joined is checked with
    :func:`split_members` and cut as it says, as the store does online (the larger part
    keeps the event's id).
    """
    postings: dict[str, set[str]] = defaultdict(set)
    events: dict[str, Signature] = {}
    members: dict[str, list[str]] = defaultdict(list)
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
        members[chosen].append(doc_id)
        for term in item.terms:
            postings[term].add(chosen)
        out[doc_id] = chosen
        if articles is not None and len(members[chosen]) >= 2 * MIN_PART:
            parts = split_members([articles[d] for d in members[chosen]],
                                  {d: prepared[d].signature for d in members[chosen]})
            if parts:
                _apply_split(chosen, parts, prepared, events, members, postings, out)
    return out


def _apply_split(
    event_id: str,
    parts: Sequence[Sequence[str]],
    prepared: Mapping[str, Prepared],
    events: dict[str, Signature],
    members: dict[str, list[str]],
    postings: dict[str, set[str]],
    out: dict[str, str],
) -> None:
    """Cut one simulated event into ``parts``: the first keeps the id, the others are new."""
    for index, part in enumerate(parts):
        part_id = event_id if index == 0 else f"e{len(events):05d}"
        signature_ = prepared[part[0]].signature
        for doc_id in part[1:]:
            signature_ = combine(signature_, prepared[doc_id].signature)
        events[part_id] = signature_
        members[part_id] = list(part)
        for doc_id in part:
            out[doc_id] = part_id
            for term in prepared[doc_id].terms:
                postings[term].add(part_id)


def build_events(
    articles: Mapping[str, Article], pred: Mapping[str, str], order: Sequence[str],
    prepared: Mapping[str, Prepared] | None = None,
) -> list[Event]:
    """The merged event records of a predicted clustering, in the order they were founded
    (``first_seen`` is the arrival index, so timelines order as the store's would)."""
    from indexer.events.merge import merge_event

    position = {doc_id: i for i, doc_id in enumerate(order)}
    groups: dict[str, list[str]] = defaultdict(list)
    for doc_id in order:
        groups[pred[doc_id]].append(doc_id)
    events = []
    for event_id, docs in sorted(groups.items(), key=lambda kv: position[kv[1][0]]):
        sigs = [prepared[d].signature if prepared else signature(articles[d]) for d in docs]
        combined = sigs[0]
        for other in sigs[1:]:
            combined = combine(combined, other)
        stamp = f"{position[docs[0]]:09d}"
        members = [dataclasses.replace(articles[d], indexed_at=f"{position[d]:09d}")
                   for d in docs]
        events.append(merge_event(event_id, members, first_seen=stamp, last_updated=stamp,
                                  signature=combined.to_dict()))
    return events


def assign_stories(events: Sequence[Event], threshold: float | None = None) -> dict[str, str]:
    """Greedy story threading in founding order: event id -> story id (its first event)."""
    from indexer.events.stories import StorySignature, add_event, choose_story

    stories: dict[str, StorySignature] = {}
    out: dict[str, str] = {}
    for event in events:
        story_id = choose_story(event, list(stories.items()), threshold)
        if story_id is None:
            story_id = event.id
            stories[story_id] = StorySignature()
        stories[story_id] = add_event(stories[story_id], event)
        out[event.id] = story_id
    return out


def story_of_documents(events: Sequence[Event], stories: Mapping[str, str]) -> dict[str, str]:
    """Document id -> story id, through each document's event."""
    return {doc: stories[event.id] for event in events for doc in event.articles}


def purity(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> dict[str, float]:
    """Share of documents in the majority gold class of their predicted cluster, and how
    many predicted clusters mix gold classes."""
    by_pred: dict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    for doc, cluster in pred.items():
        by_pred[cluster][gold[doc]] += 1
    kept = sum(c.most_common(1)[0][1] for c in by_pred.values())
    return {"purity": round(kept / max(len(pred), 1), 4),
            "mixed": sum(1 for c in by_pred.values() if len(c) > 1),
            "clusters": len(by_pred)}


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


def store_assign_batched(
    articles: Mapping[str, Article], order: Sequence[str], size: int
) -> dict[str, str]:
    """:func:`store_assign` as bulk loads run it: ``Indexer.ingest_batch``, ``size`` at a time
    (a write-behind view per batch, one write per record), duplicate lookups included."""
    from indexer.benchmarks.corpus import as_submitted
    from indexer.ingest import Indexer
    from indexer.store.embedded import EmbeddedStore

    def never(item: object) -> Extraction:
        raise AssertionError("the documents come extracted")

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddedStore(Path(folder) / "eval.sqlite3")
        indexer = Indexer(store, never, "eval-1")
        items = as_submitted([dataclasses.replace(articles[d], id=d) for d in order])
        for start in range(0, len(items), size):
            for result in indexer.ingest_batch(items[start:start + size]):
                if isinstance(result, Exception):
                    raise result
        out = {doc_id: store.get_article(doc_id).event_id or doc_id for doc_id in order}
        store.close()
    return out

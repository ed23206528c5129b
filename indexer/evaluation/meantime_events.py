"""Scores event assignment and story threading on MEANTIME (Minard et al. 2016): four running
stories (streams of Wikinews articles on Airbus/Boeing, Apple, GM and the stock market).

Each stream is a running story of many distinct happenings with the same actors, which is
exactly where assignment must not fold successive happenings into one event. Gold comes
from the corpus' own cross-document instances: an article's happening is the event
instance its title mentions (its first annotated event mention in sentence 0), unless
that instance's time anchor lies outside the days the article can report (then, and when
the title has no annotated event, the article is its own happening). Articles sharing a
title instance share a gold event. Stories are scored against the streams: a story must
never mix two streams (purity), and how many stories a stream falls into is reported.

Documents arrive in publication order (the dateline date, then id), with ``published_at``
set; the interleaved run uses no stream information, the per-stream runs give each stream
alone (the running-story score). The happening days found are also checked against the
gold instances' ISO time anchors.

Reproduce: ``python -m indexer.evaluation.meantime_events``
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from indexer.evaluation import SHARED_DIR
from indexer.evaluation.event_clustering import (
    Prepared,
    assign,
    assign_stories,
    b_cubed,
    build_events,
    extract_cached,
    prepare,
    purity,
    scores,
    story_of_documents,
)
from indexer.events import happening, similarity
from indexer.models import Article

DEFAULT_DIR = SHARED_DIR / "eval" / "meantime"
SWEEP = (0.15, 0.20, 0.25, 0.30, 0.35)
_NO_SPACE_BEFORE = frozenset({",", ".", ":", ";", "!", "?", ")", "'s", "n't", "%", "'"})
_NO_SPACE_AFTER = frozenset({"(", "$"})
_QUOTES = {"``": '"', "''": '"'}


def _join(words: list[str]) -> str:
    out = ""
    for raw in words:
        word = _QUOTES.get(raw, raw)
        glue = "" if not out or word in _NO_SPACE_BEFORE or out.endswith(
            tuple(_NO_SPACE_AFTER)) else " "
        out += glue + word
    return out


def load_texts(eval_dir: Path) -> dict[str, list[str]]:
    """Document id ('corpus_gm/127227') -> its sentences, rebuilt from meantime.conll tokens."""
    sentences: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    with (eval_dir / "uCDCR" / "meantime.conll").open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if line.startswith("#") or len(parts) < 4:
                continue
            sentences[parts[0]][int(parts[1])].append(parts[3])
    return {doc: [_join(s[i]) for i in sorted(s)] for doc, s in sentences.items()}


def load_dates(eval_dir: Path) -> dict[str, str]:
    """Document id -> publication date (from the Wikinews dateline)."""
    with (eval_dir / "dct_from_dateline.tsv").open(encoding="utf-8") as handle:
        return {row["doc_id"]: row["dct"] for row in csv.DictReader(handle, delimiter="\t")}


def related_pairs(eval_dir: Path, ids: set[str]) -> set[tuple[str, str]]:
    """Document pairs sharing an annotated cross-document event: related, yet not one story."""
    mentions = json.loads((eval_dir / "uCDCR" / "event_mentions.json").read_text("utf-8"))
    docs: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        chain = re.sub(r"^(cross_intra_|cross_|intra_)", "", m["coref_chain"])
        doc = f"{m['topic']}/{m['subtopic']}"
        if doc in ids:
            docs[chain].add(doc)
    pairs: set[tuple[str, str]] = set()
    for members in docs.values():
        ordered = sorted(members)
        pairs.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:])
    return pairs


def _instances(eval_dir: Path) -> dict[str, dict[str, str]]:
    with (eval_dir / "list_instances.csv").open(encoding="utf-8") as handle:
        return {row["#ID"]: row for row in csv.DictReader(handle, delimiter="\t")}


def gold_events(eval_dir: Path, ids: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Document id -> gold event, and document id -> its happening's ISO day (when anchored).

    The happening is the instance of the first annotated event mention in the title; its
    ``TIME`` anchor must be a plausible day for the article (within the days before its
    publication that :mod:`indexer.events.happening` allows), else the title names
    background. Unannotated articles are their own happening (Wikinews keeps one article
    per story).
    """
    mentions = json.loads((eval_dir / "uCDCR" / "event_mentions.json").read_text("utf-8"))
    instances, dates = _instances(eval_dir), load_dates(eval_dir)
    first: dict[str, tuple[int, str]] = {}
    for m in mentions:
        doc = f"{m['topic']}/{m['subtopic']}"
        if doc not in ids or m["sent_id"] != 0:
            continue
        chain = re.sub(r"^(cross_intra_|cross_|intra_)", "", m["coref_chain"])
        position = min(m["tokens_number"])
        if doc not in first or position < first[doc][0]:
            first[doc] = (position, chain)
    gold = {doc: doc for doc in ids}
    anchors: dict[str, str] = {}
    for doc, (_, chain) in first.items():
        anchor = instances.get(chain, {}).get("TIME", "")
        day = anchor if re.fullmatch(r"\d{4}-\d{2}-\d{2}", anchor) else None
        if day is not None and doc in dates:
            gap = (date.fromisoformat(day) - date.fromisoformat(dates[doc])).days
            if not -happening.PAST_WINDOW <= gap <= happening.FUTURE_WINDOW:
                continue  # the title recalls an earlier happening: background
            anchors[doc] = day
        gold[doc] = chain
    return gold, anchors


def _stream(doc: str) -> str:
    return doc.split("/")[0]


def load_articles(eval_dir: Path, limit: int | None = None) -> dict[str, Article]:
    """Document id -> extracted Article: title = first sentence, text = the rest."""
    texts, dates = load_texts(eval_dir), load_dates(eval_dir)
    ids = sorted(texts, key=lambda d: (dates.get(d, ""), d))
    if limit is not None:
        ids = ids[:limit]
    out: dict[str, Article] = {}
    for doc in ids:
        title, *body = texts[doc]
        raw = "\n".join(texts[doc]).encode()
        extracted = extract_cached("meantime", doc, raw, "\n".join(body), dates.get(doc))
        out[doc] = Article.from_dict({**extracted.to_dict(), "title": title})
    return out


def run(eval_dir: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Assign in publication order; score events against the instance gold, stories
    against the streams, and the happening days against the instances' time anchors."""
    articles = load_articles(eval_dir, limit)
    order = list(articles)
    prepared = prepare(articles)
    gold, anchors = gold_events(eval_dir, set(articles))
    pred = assign(prepared, order, articles=articles)
    result: dict[str, Any] = scores(pred, gold)
    clusters: dict[str, list[str]] = defaultdict(list)
    for doc in order:
        clusters[pred[doc]].append(doc)
    merged = [docs for docs in clusters.values() if len(docs) > 1]
    related = related_pairs(eval_dir, set(articles))
    streams = {doc: _stream(doc) for doc in articles}
    events = build_events(articles, pred, order, prepared)
    doc_story = story_of_documents(events, assign_stories(events))
    per_stream = {}
    for stream in sorted(set(streams.values())):
        docs = [d for d in order if streams[d] == stream]
        alone = assign(prepared, docs, articles=articles)
        per_stream[stream] = {"documents": len(docs), **b_cubed(alone, gold),
                              "events": len(set(alone.values())),
                              "gold_events": len({gold[d] for d in docs})}
    result.update(
        threshold=similarity.THRESHOLD,
        order="publication date, then document id",
        gold_from="title event instance (uCDCR event mentions + list_instances.csv)",
        merged_documents=sum(len(docs) for docs in merged),
        cross_topic_clusters=sum(1 for docs in merged if len({_stream(d) for d in docs}) > 1),
        related_pairs=len(related),
        related_pairs_merged=sum(1 for a, b in related if pred[a] == pred[b]),
        merged=[[(d, articles[d].published_at, articles[d].title) for d in docs]
                for docs in merged],
        per_stream=per_stream,
        stories={**purity(doc_story, streams), "b3": b_cubed(doc_story, streams),
                 "per_stream": dict(Counter(
                     streams[d] for d in {doc_story[x]: x for x in order}.values()))},
        happening_days=_anchor_agreement(articles, anchors),
        sweep=[_sweep_row(prepared, order, gold, th) for th in SWEEP],
    )
    return result


def _anchor_agreement(
    articles: Mapping[str, Article], anchors: Mapping[str, str]
) -> dict[str, Any]:
    """How often the happening day found is the gold instance's time anchor."""
    found = exact = near = reference = 0
    for doc, day in anchors.items():
        when = happening.when(articles[doc])
        gold = date.fromisoformat(day)
        if when.day is not None:
            found += 1
            exact += when.day == gold
            near += abs((when.day - gold).days) <= 1
        elif when.reference is not None:
            reference += abs((when.reference - gold).days) <= 1
    return {"anchored": len(anchors), "found": found, "exact": exact, "within_a_day": near,
            "reference_within_a_day": reference}


def _sweep_row(
    prepared: Mapping[str, Prepared], order: list[str], gold: dict[str, str], th: float
) -> dict[str, Any]:
    pred = assign(prepared, order, th)
    sizes = Counter(pred.values())
    b3 = b_cubed(pred, gold)
    return {"threshold": th, "b3_precision": b3["precision"], "b3_f1": b3["f1"],
            "merged_documents": sum(1 for e in pred.values() if sizes[e] > 1)}


def format_report(result: dict[str, Any]) -> str:
    """Markdown summary: event B³ (all streams, each stream), stories, days, merged groups."""
    b3, st, days = result["b3"], result["stories"], result["happening_days"]
    lines = [
        f"MEANTIME running stories — {result['documents']} documents, 4 streams, threshold "
        f"{result['threshold']}, order: {result['order']}",
        "",
        f"Gold: {result['gold_from']}; {result['gold_clusters']} gold events.",
        "",
        "| run | documents | events (gold) | B³ P | B³ R | B³ F1 |",
        "|---|---|---|---|---|---|",
        f"| all streams interleaved | {result['documents']} | {result['predicted_clusters']} "
        f"({result['gold_clusters']}) | {b3['precision']:.3f} | {b3['recall']:.3f} | "
        f"{b3['f1']:.3f} |",
    ]
    lines += [f"| {name} alone | {r['documents']} | {r['events']} ({r['gold_events']}) | "
              f"{r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} |"
              for name, r in result["per_stream"].items()]
    lines += [
        "",
        f"- events mixing streams: {result['cross_topic_clusters']}; documents in a merged "
        f"event: {result['merged_documents']}; related-but-different pairs merged: "
        f"{result['related_pairs_merged']} of {result['related_pairs']}",
        f"- stories: {st['clusters']}, purity {st['purity']:.3f}, stories mixing streams "
        f"{st['mixed']}; per stream {st['per_stream']}; story B³ against the streams "
        f"P {st['b3']['precision']:.3f} R {st['b3']['recall']:.3f}",
        f"- happening day vs the gold instance's time anchor: {days['anchored']} anchored "
        f"titles, a day found for {days['found']}, exact {days['exact']}, within a day "
        f"{days['within_a_day']} (no day found but the reference day within a day: "
        f"{days['reference_within_a_day']})",
        "",
        "| threshold | B³ precision | B³ F1 | documents merged |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['threshold']:.2f} | {r['b3_precision']:.3f} | {r['b3_f1']:.3f} | "
              f"{r['merged_documents']} |" for r in result["sweep"]]
    lines += ["", "Merged events (for review):", ""]
    for group in result["merged"]:
        lines.append("- " + " + ".join(f"{d} ({day}) \"{title}\"" for d, day, title in group))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry: print the markdown report."""
    parser = argparse.ArgumentParser(description="Score event assignment on MEANTIME.")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    if not (args.eval_dir / "uCDCR" / "meantime.conll").is_file():
        print(f"MEANTIME not found under {args.eval_dir}", file=sys.stderr)
        return 2
    print(format_report(run(args.eval_dir, args.limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Scores event assignment on MEANTIME (Minard et al. 2016): 120 Wikinews articles, 4 topics.

Gold, and why it is all singletons: MEANTIME's cross-document chains link *event mentions*,
and the few chains that span two documents are background (the iTunes store launch, Steve
Jobs' illness) or an earlier happening a later article refers back to, never the main event
of both. Wikinews keeps one article per story, so each article is its own happening. What
can be measured soundly is therefore over-merging: B³ precision against singletons, merged
pairs (listed with titles and dates for review), merges across topics (always wrong), and
how many of the annotated related-but-different pairs were merged.

Documents arrive in publication order (the dateline date, then id), with ``published_at`` set.
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
from pathlib import Path
from typing import Any

from indexer.evaluation import SHARED_DIR
from indexer.evaluation.event_clustering import (
    Prepared,
    assign,
    extract_cached,
    prepare,
    scores,
)
from indexer.events import similarity
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
    """Assign in publication order and measure over-merging against singleton gold."""
    articles = load_articles(eval_dir, limit)
    order = list(articles)
    prepared = prepare(articles)
    gold = {doc: doc for doc in articles}
    pred = assign(prepared, order)
    result: dict[str, Any] = scores(pred, gold)
    clusters: dict[str, list[str]] = defaultdict(list)
    for doc in order:
        clusters[pred[doc]].append(doc)
    merged = [docs for docs in clusters.values() if len(docs) > 1]
    related = related_pairs(eval_dir, set(articles))
    result.update(
        threshold=similarity.THRESHOLD,
        order="publication date, then document id",
        merged_documents=sum(len(docs) for docs in merged),
        cross_topic_clusters=sum(1 for docs in merged if len({d.split("/")[0] for d in docs}) > 1),
        related_pairs=len(related),
        related_pairs_merged=sum(1 for a, b in related if pred[a] == pred[b]),
        merged=[[(d, articles[d].published_at, articles[d].title) for d in docs]
                for docs in merged],
        sweep=[_sweep_row(prepared, order, gold, th) for th in SWEEP],
    )
    return result


def _sweep_row(
    prepared: Mapping[str, Prepared], order: list[str], gold: dict[str, str], th: float
) -> dict[str, Any]:
    pred = assign(prepared, order, th)
    sizes = Counter(pred.values())
    b3: dict[str, float] = scores(pred, gold)["b3"]  # type: ignore[assignment]
    return {"threshold": th, "b3_precision": b3["precision"],
            "merged_documents": sum(1 for e in pred.values() if sizes[e] > 1)}


def format_report(result: dict[str, Any]) -> str:
    """Markdown summary: over-merging numbers, the merged groups, threshold sweep."""
    lines = [
        f"MEANTIME event clustering — {result['documents']} documents, threshold "
        f"{result['threshold']}, order: {result['order']}",
        "",
        "Gold: every article is its own happening (see module docstring).",
        "",
        f"- B³ precision against singletons: {result['b3']['precision']:.3f} "
        f"(B³ F1 {result['b3']['f1']:.3f})",
        f"- predicted clusters: {result['predicted_clusters']} of {result['documents']} "
        f"documents; documents in a merged cluster: {result['merged_documents']}",
        f"- clusters mixing topics: {result['cross_topic_clusters']}",
        f"- related-but-different pairs (share an annotated event) merged: "
        f"{result['related_pairs_merged']} of {result['related_pairs']}",
        "",
        "| threshold | B³ precision | documents merged |",
        "|---|---|---|",
    ]
    lines += [f"| {r['threshold']:.2f} | {r['b3_precision']:.3f} | {r['merged_documents']} |"
              for r in result["sweep"]]
    lines += ["", "Merged groups (for review):", ""]
    for group in result["merged"]:
        lines.append("- " + " + ".join(f"{d} ({date}) \"{title}\"" for d, date, title in group))
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

"""Scores syndicated-copy detection (:mod:`indexer.dedup`) on copies made from ECB+ texts.

Articles are the ECB+ documents of at least three lines and 40 words (ECB+ also holds
one-sentence snippets). Positives: each article against copies of itself as sites publish
wire stories —
trimmed from the end, re-headlined, wrapped in boilerplate (navigation, a byline, a
newsletter box, *related headlines from the same topic*), and all three at once. Negatives,
chosen to be hard: every pair of distinct articles within one ECB+ topic (same subject,
often the same event), and every copy against the other articles of its topic. ECB+ itself
carries real syndication (one agency text at two outlets): a pair of articles sharing half
of their word 5-grams exactly is not counted as a negative, and the number of such pairs is
reported. Copies are made with a seeded random generator, so every run scores the same pairs.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

from indexer.dedup import Signature, compare, shingles, signature
from indexer.evaluation import SHARED_DIR
from indexer.evaluation.ecbplus import load_doc

DEFAULT_DIR = SHARED_DIR / "eval" / "ecbplus"
SEED = 11
MIN_LINES, MIN_WORDS = 3, 40
#: Exact 5-gram containment at which two ECB+ articles are the corpus's own copies.
CORPUS_COPY = 0.5
KINDS = ("trimmed", "re-headlined", "boilerplate", "all three")
_NAV = ["Home | News | World | Business | Sport | Opinion", "Skip to main content",
        "Menu  Search  Sign in"]
_TAIL = ["Sign up for our daily newsletter to get the top stories in your inbox.",
         "Share this article: Facebook Twitter Email",
         "\u00a9 2024 Example Media Group. All rights reserved."]


def read_texts(folder: Path, limit: int | None = None) -> dict[str, list[tuple[str, str]]]:
    """Topic -> [(document name, text)] for every ECB+ document, in a stable order."""
    paths = sorted((folder / "docs").glob("*/*.xml"), key=lambda p: (int(p.parent.name), p.name))
    topics: dict[str, list[tuple[str, str]]] = {}
    for number, path in enumerate(paths):
        if limit is not None and number >= limit:
            break
        text = load_doc(path, ()).text
        if len(_lines(text)) >= MIN_LINES and len(text.split()) >= MIN_WORDS:
            topics.setdefault(path.parent.name, []).append((path.name, text))
    return topics


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def trim(text: str, rng: random.Random) -> str:
    """The first 60-85% of the sentences, at least two (wire copies are cut from the end)."""
    lines = _lines(text)
    keep = max(2, round(len(lines) * rng.uniform(0.6, 0.85)))
    return "\n".join(lines[:keep])


def reheadline(text: str, headline: str) -> str:
    """The headline (the first line that is not the source URL) replaced by another one."""
    lines = _lines(text)
    at = next((i for i, line in enumerate(lines) if not line.startswith("http")), 0)
    return "\n".join([*lines[:at], headline, *lines[at + 1:]])


def wrap(text: str, related: list[str], rng: random.Random) -> str:
    """Navigation and a byline above; newsletter, share line, related headlines below."""
    head = [rng.choice(_NAV), f"By {rng.choice(['Staff', 'Wire', 'Our'])} Reporter"]
    tail = [_TAIL[0], _TAIL[1], "Related stories", *related, _TAIL[2]]
    return "\n".join([*head, text, *tail])


def _headline(text: str) -> str:
    return next((line for line in _lines(text) if not line.startswith("http")), "")


def corpus_copies(docs: list[tuple[str, str]]) -> set[frozenset[str]]:
    """Pairs of one topic's articles that share at least half their 5-grams (exactly)."""
    sets = {name: shingles(text) for name, text in docs}
    found: set[frozenset[str]] = set()
    for (a, _), (b, _) in combinations(docs, 2):
        smaller = min(len(sets[a]), len(sets[b]))
        if smaller and len(sets[a] & sets[b]) / smaller >= CORPUS_COPY:
            found.add(frozenset((a, b)))
    return found


def copies(text: str, topic_texts: list[str], other_headline: str, rng: random.Random
           ) -> dict[str, str]:
    """The four copies of one article."""
    related = [_headline(t) for t in rng.sample(topic_texts, min(3, len(topic_texts)))]
    return {
        "trimmed": trim(text, rng),
        "re-headlined": reheadline(text, other_headline),
        "boilerplate": wrap(text, related, rng),
        "all three": wrap(reheadline(trim(text, rng), other_headline), related, rng),
    }


def run(folder: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Pairwise precision/recall of ``Similarity.is_copy`` over positives and hard negatives."""
    rng = random.Random(SEED)
    topics = read_texts(folder, limit)
    headlines = [(topic, _headline(text)) for topic, docs in topics.items() for _, text in docs]
    sig_seconds = 0.0
    n_sigs = 0

    def sign(text: str) -> Signature:
        nonlocal sig_seconds, n_sigs
        started = time.perf_counter()
        found = signature(text)
        sig_seconds += time.perf_counter() - started
        n_sigs += 1
        return found

    counts: Counter[str] = Counter()
    false_positives: list[tuple[float, str, str]] = []
    compare_seconds = 0.0

    def judge(a: Signature, b: Signature, positive: bool, label: str, names: tuple[str, str]
              ) -> None:
        nonlocal compare_seconds
        started = time.perf_counter()
        verdict = compare(a, b)
        compare_seconds += time.perf_counter() - started
        counts["pairs"] += 1
        if positive:
            counts[f"{label}.total"] += 1
            counts[f"{label}.found"] += verdict.is_copy
            counts["tp" if verdict.is_copy else "fn"] += 1
        else:
            counts[f"{label}.total"] += 1
            if verdict.is_copy:
                counts["fp"] += 1
                counts[f"{label}.found"] += 1
                false_positives.append((verdict.containment, *names))
            else:
                counts["tn"] += 1

    for topic, docs in topics.items():
        texts = [text for _, text in docs]
        originals = {name: sign(text) for name, text in docs}
        known = corpus_copies(docs)
        counts["corpus copies"] += len(known)
        for (name_a, _), (name_b, _) in combinations(docs, 2):
            if frozenset((name_a, name_b)) in known:
                continue
            judge(originals[name_a], originals[name_b], False, "distinct, same topic",
                  (name_a, name_b))
        for name, text in docs:
            others = [h for t, h in headlines if t != topic] or [
                h for _, h in headlines if h != _headline(text)] or ["Breaking news"]
            made = copies(text, [t for t in texts if t != text] or texts, rng.choice(others), rng)
            for kind, copy in made.items():
                copy_sig = sign(copy)
                judge(originals[name], copy_sig, True, kind, (name, f"{kind} copy"))
                for other, other_sig in originals.items():
                    if other != name and frozenset((other, name)) not in known:
                        judge(other_sig, copy_sig, False, "copy vs other article of topic",
                              (other, f"{kind} copy of {name}"))
    return _result(counts, topics, false_positives, n_sigs, sig_seconds, compare_seconds)


def _result(counts: Counter[str], topics: dict[str, list[tuple[str, str]]],
            false_positives: list[tuple[float, str, str]], n_sigs: int, sig_seconds: float,
            compare_seconds: float) -> dict[str, Any]:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    rate: Callable[[str], dict[str, Any]] = lambda label: {  # noqa: E731
        "found": counts[f"{label}.found"], "total": counts[f"{label}.total"]}
    return {
        "corpus": "ecbplus-copies",
        "documents": sum(len(d) for d in topics.values()),
        "corpus_copies_excluded": counts["corpus copies"],
        "pairs": counts["pairs"],
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "recall_by_kind": {kind: rate(kind) for kind in KINDS},
        "false_positives_by_kind": {label: rate(label) for label in
                                    ("distinct, same topic", "copy vs other article of topic")},
        "worst_false_positives": [{"containment": c, "a": a, "b": b}
                                  for c, a, b in sorted(false_positives, reverse=True)[:5]],
        "signatures_per_second": round(n_sigs / sig_seconds) if sig_seconds else None,
        "comparisons_per_second": round(counts["pairs"] / compare_seconds)
        if compare_seconds else None,
    }


def format_report(result: dict[str, Any]) -> str:
    """Markdown: pairwise P/R/F1, recall per kind of copy, false positives per kind of pair."""
    lines = [
        f"Syndicated copies from ECB+: {result['documents']} articles, {result['pairs']} pairs "
        f"({result['corpus_copies_excluded']} pairs that ECB+ itself syndicated left out); "
        f"{result['signatures_per_second']} signatures/s, "
        f"{result['comparisons_per_second']} comparisons/s.",
        "",
        "| precision | recall | F1 |",
        "|---|---|---|",
        f"| {result['precision']:.3f} | {result['recall']:.3f} | {result['f1']:.3f} |",
        "",
        "| copies found, by kind | found / total |",
        "|---|---|",
    ]
    lines += [f"| {kind} | {v['found']} / {v['total']} |"
              for kind, v in result["recall_by_kind"].items()]
    lines += ["", "| hard negatives called copies | wrong / total |", "|---|---|"]
    lines += [f"| {kind} | {v['found']} / {v['total']} |"
              for kind, v in result["false_positives_by_kind"].items()]
    if result["worst_false_positives"]:
        lines += ["", "Most similar negatives: " + "; ".join(
            f"{w['a']} ~ {w['b']} ({w['containment']:.2f})"
            for w in result["worst_false_positives"])]
    return "\n".join(lines)


if __name__ == "__main__":
    directory = Path(os.environ.get("STORYRECORDS_ECBPLUS_DIR", DEFAULT_DIR))
    limit_arg = int(sys.argv[1]) if len(sys.argv) > 1 else None
    print(format_report(run(directory, limit_arg)))

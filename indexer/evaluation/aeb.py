"""Article Extraction Benchmark scorer: our page extraction vs trafilatura's, on the same pages.

The benchmark's metric (Zyte's ``evaluate.py``): word 4-gram shingles of the extracted body
against the human ``articleBody``; per page TP/FP/FN counted over shingle multisets and
normalised to sum 1; precision and recall averaged over pages; F1 from those two averages.
trafilatura's own default extraction (``include_comments=False``, as the benchmark runs it)
is scored in the same run as the floor.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from indexer.errors import Unprocessable
from indexer.evaluation import SHARED_DIR

DEFAULT_DIR = SHARED_DIR / "eval" / "aeb"
_TOKEN = re.compile(r"\w+")
WARM_UP_PAGES = 5

Counts = tuple[float, float, float]


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Word n-grams with multiplicity; a text shorter than n is one short shingle."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))
                   if tokens[i:i + n])


def shingle_match(true: str, pred: str, n: int = 4) -> Counts:
    """(TP, FP, FN) over shingles, normalised so that every page weighs the same."""
    gold, found = shingles(true, n), shingles(pred, n)
    tp = sum((gold & found).values())
    fp = sum((found - gold).values())
    fn = sum((gold - found).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def summarise(counts: list[Counts]) -> dict[str, float]:
    """Precision and recall averaged over pages (as the benchmark does), F1 from the averages."""
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def iter_pages(folder: Path, limit: int | None = None) -> Iterator[tuple[str, str, bytes, str]]:
    """(id, url, raw HTML bytes, gold articleBody) in id order."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for count, key in enumerate(sorted(truth)):
        if limit is not None and count >= limit:
            return
        raw = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        yield key, truth[key].get("url") or "", raw, truth[key].get("articleBody") or ""


def ours(raw: bytes, url: str) -> str:
    """Our stored text for a page; a refused page stores nothing."""
    from indexer.web.page import extract_page

    try:
        return extract_page(raw, url or None).text
    except Unprocessable:
        return ""


def floor(raw: bytes, url: str) -> str:
    """trafilatura's default extraction, exactly as the benchmark's runner calls it."""
    import trafilatura

    return trafilatura.extract(raw.decode("utf-8"), include_comments=False) or ""


def _score(pages: list[tuple[str, str, bytes, str]], extract: Callable[[bytes, str], str]
           ) -> tuple[dict[str, Any], dict[str, Counts]]:
    per_page: dict[str, Counts] = {}
    refused = 0
    started = time.perf_counter()
    for key, url, raw, gold in pages:
        text = extract(raw, url)
        refused += not text
        per_page[key] = shingle_match(gold, text)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = summarise(list(per_page.values()))
    result.update(pages_per_second=round(len(pages) / seconds, 1) if seconds else None,
                  seconds=round(seconds, 2), empty=refused)
    return result, per_page


def _warm_up(pages: list[tuple[str, str, bytes, str]]) -> None:
    """Load what both extractors load once (imports, language model, dateparser) untimed."""
    from indexer.language import detect_language

    detect_language("Warm-up text so that the language model is loaded before timing starts.")
    import dateparser

    dateparser.parse("19 November 2019")
    _score(pages[:WARM_UP_PAGES], ours)
    _score(pages[:WARM_UP_PAGES], floor)


def run(folder: Path = DEFAULT_DIR, limit: int | None = None) -> dict[str, Any]:
    """Both extractors over the same pages; the worst pages of ours listed for inspection."""
    import trafilatura

    pages = list(iter_pages(folder, limit))
    _warm_up(pages)
    mine, mine_pages = _score(pages, ours)
    base, _ = _score(pages, floor)
    worst = sorted(mine_pages.items(), key=lambda kv: kv[1][0])[:5]
    return {
        "corpus": "aeb",
        "pages": len(pages),
        "ours": mine,
        "trafilatura": base,
        "trafilatura_version": trafilatura.__version__,
        "worst": [{"id": key[:12], "tp": round(c[0], 3), "fp": round(c[1], 3),
                   "fn": round(c[2], 3)} for key, c in worst],
    }


def format_report(result: dict[str, Any]) -> str:
    """Markdown table: ours vs the trafilatura floor (P/R/F1, pages per second)."""
    lines = [
        f"Article Extraction Benchmark, {result['pages']} pages (word 4-gram shingles, "
        "P and R averaged over pages).",
        "",
        "| extractor | precision | recall | F1 | pages/s | empty |",
        "|---|---|---|---|---|---|",
    ]
    for name, key in (("storyrecords extract_page", "ours"),
                      (f"trafilatura {result['trafilatura_version']} default (floor)",
                       "trafilatura")):
        m = result[key]
        lines.append(f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
                     f"| {m['pages_per_second']} | {m['empty']} |")
    lines += ["", "Lowest-precision pages (ours): " + ", ".join(
        f"{w['id']} tp {w['tp']} fp {w['fp']} fn {w['fn']}" for w in result["worst"])]
    return "\n".join(lines)


if __name__ == "__main__":
    directory = Path(os.environ.get("STORYRECORDS_AEB_DIR", DEFAULT_DIR))
    limit_arg = int(sys.argv[1]) if len(sys.argv) > 1 else None
    print(format_report(run(directory, limit_arg)))

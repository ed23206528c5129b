"""Memory of a long-running worker: RSS and vocabulary size as articles go through the pipeline.

spaCy keeps every new word it meets in the vocabulary and string store, so a worker that
extracts articles for weeks grows without bound unless each extraction runs in a memory zone
(:class:`indexer.pipeline.Pipeline` does by default). This runs the same articles through a
pipeline with the zone and one without, each in a fresh process, and prints RSS and the
store sizes along the way. The articles are the seeded synthetic corpus, each with a few
words never seen before (a reference code, a surname, a figure), as real news keeps bringing
new names and numbers. ``storyrecords bench memory --articles 10000``; not a CI test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

MODES = ("zone", "none")


def rss_mb() -> float:
    """Resident set size of this process now, in MiB (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def articles(n: int, seed: int = 7) -> list[str]:
    """``n`` synthetic news texts, each naming a few things no earlier one did."""
    from indexer.benchmarks.corpus import synthetic_articles

    rng = random.Random(seed)
    base = [a.text for a in synthetic_articles(min(n, 2000), seed)]
    texts = []
    for i in range(n):
        code = "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))
        surname = "".join(rng.choices(string.ascii_lowercase, k=7)).capitalize()
        figure = f"{rng.randrange(10**6, 10**9):,}"
        texts.append(
            f"{base[i % len(base)]}\n\nMinister {surname} cited report {code} and a bill of "
            f"{figure} dollars."
        )
    return texts


def run_mode(mode: str, n: int, checkpoints: int = 10) -> dict[str, Any]:
    """Extract ``n`` articles in this process and sample memory ``checkpoints`` times."""
    from indexer.pipeline import Pipeline, load_model

    texts = articles(n)
    nlp = load_model()
    pipeline = Pipeline(nlp, memory_zone=mode == "zone")
    pipeline.extract("Warm-up: talks in Geneva on Monday.", published_at="2022-01-11")
    lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
    every = max(1, n // checkpoints)
    rows = [_sample(0, nlp, lemmatizer, 0.0)]
    start = time.process_time()
    for i, text in enumerate(texts, 1):
        pipeline.extract(text, published_at="2022-01-11")
        if i % every == 0 or i == n:
            rows.append(_sample(i, nlp, lemmatizer, time.process_time() - start))
    return {"mode": mode, "articles": n, "rows": rows}


def _sample(done: int, nlp: Any, lemmatizer: Any, seconds: float) -> dict[str, Any]:
    cache = getattr(lemmatizer, "cache", None)
    return {
        "articles": done,
        "rss_mb": round(rss_mb(), 1),
        "strings": len(nlp.vocab.strings),
        "lemma_cache": len(cache) if isinstance(cache, dict) else None,
        "cpu_seconds": round(seconds, 1),
    }


def run(n: int, modes: Sequence[str] = MODES) -> dict[str, Any]:
    """Each mode in its own fresh process, so neither inherits the other's vocabulary."""
    results = {}
    for mode in modes:
        out = subprocess.run(
            [sys.executable, "-m", "indexer.benchmarks.memory", "--mode", mode,
             "--articles", str(n), "--json"],
            check=True, capture_output=True, text=True,
        )
        results[mode] = json.loads(out.stdout)
    return results


def format_report(results: dict[str, Any]) -> str:
    """Markdown: one row per checkpoint, the modes side by side."""
    modes = list(results)
    label = {"zone": "memory zone", "none": "no zone"}
    head = "| articles | " + " | ".join(
        f"RSS MiB ({label[m]}) | strings ({label[m]})" for m in modes
    ) + " |"
    lines = [head, "|---" * (1 + 2 * len(modes)) + "|"]
    for i, row in enumerate(results[modes[0]]["rows"]):
        cells = [str(row["articles"])]
        for mode in modes:
            r = results[mode]["rows"][i]
            cells += [f"{r['rss_mb']:.0f}", f"{r['strings']:,}"]
        lines.append("| " + " | ".join(cells) + " |")
    times = ", ".join(
        f"{label[m]} {results[m]['rows'][-1]['cpu_seconds']:.0f} s" for m in modes
    )
    n = results[modes[0]]["articles"]
    return "\n".join([f"{n} articles through the whole pipeline (CPU time: {times})", "", *lines])


def main(argv: Sequence[str] | None = None) -> None:
    """``storyrecords bench memory [--articles N] [--mode zone|none]``."""
    parser = argparse.ArgumentParser(prog="storyrecords bench memory", description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--mode", choices=MODES, default=None,
                        help="run one mode in this process (default: both, each in a child)")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = parser.parse_args(argv)
    if args.mode is not None:
        result = run_mode(args.mode, args.articles)
        if args.json:
            print(json.dumps(result))
        else:
            print(format_report({args.mode: result}))
        return
    results = run(args.articles)
    print(json.dumps(results) if args.json else format_report(results))


if __name__ == "__main__":
    main()

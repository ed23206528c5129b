"""Extraction throughput on one core, against bare spaCy on the same texts (the floor).

The pipeline around spaCy (cleaning, canonical parties, dates, venues, demands) should cost
little next to the parse itself; the ratio says how little. The floor parses the raw text;
the pipeline parses the cleaned text, which is shorter where boilerplate was removed.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from indexer.pipeline import Pipeline, load_model, parse


def corpus(samples: Path, eval_dir: Path | None, limit: int) -> list[str]:
    """The two samples, plus ECB+ documents when the corpus is there (realistic news text)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(samples.glob("*.txt"))]
    if eval_dir is not None and (eval_dir / "ecbplus").exists():
        from indexer.evaluation.ecbplus import iter_docs

        texts += [doc.text for doc in iter_docs(eval_dir / "ecbplus", limit=limit)]
    return texts[:limit]


def _interleaved(
    fns: Sequence[Callable[[str], Any]], texts: Sequence[str], rounds: int
) -> list[list[float]]:
    """Seconds per pass over all texts for each function, taking turns so drift hits both."""
    for fn in fns:
        for text in texts[:3]:
            fn(text)
    timings: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for text in texts:
                fn(text)
            timings[i].append(time.perf_counter() - start)
    return timings


def run(samples: Path, eval_dir: Path | None, limit: int = 200, rounds: int = 3) -> dict[str, Any]:
    """Articles per second of bare spaCy and of the whole pipeline, pinned to one core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = corpus(samples, eval_dir, limit)
    nlp = load_model()
    pipeline = Pipeline(nlp)
    chars = sum(len(t) for t in texts)
    bare, full = _interleaved(
        [lambda t: parse(nlp, t), lambda t: pipeline.extract(t, published_at="2022-01-11")],
        texts,
        rounds,
    )
    bare_s, full_s = statistics.median(bare), statistics.median(full)
    return {
        "articles": len(texts),
        "chars": chars,
        "rounds": rounds,
        "bare_spacy_articles_per_s": len(texts) / bare_s,
        "pipeline_articles_per_s": len(texts) / full_s,
        "overhead_ratio": full_s / bare_s,
        "bare_ms_per_article": 1000 * bare_s / len(texts),
        "pipeline_ms_per_article": 1000 * full_s / len(texts),
    }


def format_report(result: dict[str, Any]) -> str:
    """Markdown table."""
    return "\n".join(
        [
            f"{result['articles']} articles, {result['chars']} characters, one core, "
            f"median of {result['rounds']} rounds",
            "",
            "| | articles/s | ms/article |",
            "|---|---|---|",
            f"| bare spaCy (`nlp(text)`, the floor) | {result['bare_spacy_articles_per_s']:.1f} "
            f"| {result['bare_ms_per_article']:.1f} |",
            f"| storyrecords extract (whole pipeline) | {result['pipeline_articles_per_s']:.1f} "
            f"| {result['pipeline_ms_per_article']:.1f} |",
            f"| **ratio pipeline / bare** | | **{result['overhead_ratio']:.2f}x** |",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``storyrecords bench extract [--limit N] [--rounds R]``."""
    import argparse

    from indexer.evaluation import SHARED_DIR

    parser = argparse.ArgumentParser(prog="storyrecords bench extract", description=__doc__)
    parser.add_argument("--samples", type=Path, default=SHARED_DIR / "samples")
    parser.add_argument("--eval-dir", type=Path, default=SHARED_DIR / "eval")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(format_report(run(args.samples, args.eval_dir, args.limit, args.rounds)))


if __name__ == "__main__":
    main()

"""A fast slice of the Article Extraction Benchmark scorer: ours vs trafilatura, same pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import aeb
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval]


def _corpus() -> Path:
    return require_shared(aeb.DEFAULT_DIR / "ground-truth.json", "AEB pages").parent


def test_the_metric_is_the_benchmarks() -> None:
    assert aeb.shingle_match("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = aeb.shingle_match("a b c d e", "a b c d x")  # shingles abcd, bcde vs abcd, bcdx
    assert (tp, fp, fn) == (1 / 3, 1 / 3, 1 / 3)
    assert aeb.summarise([(1.0, 0.0, 0.0), (0.5, 0.5, 0.0)]) == {
        "precision": 0.75, "recall": 1.0, "f1": 0.8571}


def test_aeb_slice_beats_the_trafilatura_floor() -> None:
    result = aeb.run(_corpus(), limit=12)
    assert result["pages"] == 12
    assert result["ours"]["empty"] == 0
    assert result["ours"]["f1"] >= 0.95
    assert result["ours"]["f1"] >= result["trafilatura"]["f1"]
    assert "trafilatura" in aeb.format_report(result)

"""A fast slice of the TempEval-3 scorer, so CI notices a drop in date quality."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import tempeval
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval, pytest.mark.slow]


def _corpus() -> Path:
    return require_shared(tempeval.DEFAULT_DIR, "TempEval-3")


def test_reads_timeml_with_gold_offsets() -> None:
    path = tempeval.tml_files(_corpus())[0]
    doc = tempeval.read_tml(path)
    assert doc.dct and doc.gold
    for timex in doc.gold:
        assert doc.text[timex.start : timex.end] == timex.text


def test_tempeval_slice_scores_above_floor() -> None:
    result = tempeval.run(_corpus(), limit=5)
    assert result["documents"] == 5
    assert result["all"]["relaxed"]["f1"] >= 75
    assert result["all"]["value"]["f1"] >= 55
    assert "| all TIMEX3 |" in tempeval.format_report(result)


def test_week_and_decade_spellings_compare_equal() -> None:
    assert tempeval.canonical_value("2000-W7") == tempeval.canonical_value("2000-W07")
    assert tempeval.canonical_value("199X") == tempeval.canonical_value("199")

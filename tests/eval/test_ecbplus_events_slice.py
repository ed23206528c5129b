"""A fast slice of the ECB+ event-clustering scorer (two topics), so CI notices a merging drop."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import ecbplus_events
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval, pytest.mark.slow]

EVAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "eval"
TOPICS = ("1", "3")
B3_FLOOR = 0.90
"""Measured 0.937 on topics 1 and 3 (59 documents) at the shipped THRESHOLD (was 0.881 before
datelines stopped dating happenings), minus a margin (one happening, one event: Lohan's move
to a Malibu clinic six weeks on is another event, gold has one)."""
STORY_FLOOR = 0.90
"""Stories against the gold subtopics: measured 1.000 on the same slice."""


def test_ecbplus_event_slice_scores_above_floor() -> None:
    directory = require_shared(EVAL_DIR / "ecbplus" / "docs", "ECB+").parent
    result = ecbplus_events.run(directory, topics=TOPICS, sweep=())
    assert result["gold_clusters"] == 2 * len(TOPICS)
    assert result["cross_topic_clusters"] == 0
    assert result["b3"]["f1"] >= B3_FLOOR
    assert result["stories"]["b3"]["f1"] >= STORY_FLOOR
    assert result["stories"]["mixed"] == 0
    assert "| B³ |" in ecbplus_events.format_report(result)

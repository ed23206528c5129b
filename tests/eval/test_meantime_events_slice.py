"""A slice of the MEANTIME running-story scorer: no event or story mixes two streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import meantime_events
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval, pytest.mark.slow]

EVAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "eval"
LIMIT = 40
B3_FLOOR = 0.85
"""Event B³ F1 against the title-instance gold on the first 40 articles by date: measured
1.000 (the 2008-2009 running stories come later), minus a margin."""


def test_meantime_slice_keeps_streams_apart() -> None:
    directory = require_shared(EVAL_DIR / "meantime" / "uCDCR", "MEANTIME").parent
    result = meantime_events.run(directory, limit=LIMIT)
    assert result["documents"] == LIMIT
    assert result["cross_topic_clusters"] == 0
    assert result["stories"]["mixed"] == 0
    assert result["b3"]["f1"] >= B3_FLOOR
    assert "| all streams interleaved |" in meantime_events.format_report(result)

"""A fast slice of the ECB+ party/place span scorer, so CI notices a quality drop."""

from __future__ import annotations

import pytest

from indexer.evaluation import ecbplus
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval, pytest.mark.slow]


def test_ecbplus_slice_scores_above_floor() -> None:
    directory = require_shared(ecbplus.DEFAULT_DIR / "annotated_sentences.csv", "ECB+").parent
    result = ecbplus.run(directory, limit=12)
    assert result["documents"] == 12
    assert result["parties"]["overlap"]["precision"] >= 0.5
    assert result["parties"]["overlap"]["recall_named"] >= 0.6
    assert result["places"]["overlap"]["f1"] >= 0.3
    assert "| parties | overlap |" in ecbplus.format_report(result)

"""A fast slice of the RAMS demand-argument scorer."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import rams
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval, pytest.mark.slow]


def _corpus() -> Path:
    return require_shared(rams.DEFAULT_DIR / "dev.jsonlines", "RAMS dev").parent


def test_reads_only_demand_like_events() -> None:
    events = list(rams.read_events(_corpus() / "dev.jsonlines"))
    assert events
    assert all(e.type.startswith(rams.DEMAND_TYPES) for e in events)
    assert all(e.communicator is None or e.communicator[0] < e.communicator[1] for e in events)


def test_rams_slice_runs_and_reports() -> None:
    result = rams.run(_corpus(), limit=12)
    assert result["events"] == 12
    assert result["found"]["hits"] >= 1
    assert result["claimant_found"]["pct"] >= 50
    assert "claimant = communicator" in rams.format_report(result)

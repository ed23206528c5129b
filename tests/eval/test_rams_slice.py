"""A fast slice of the RAMS demand-argument scorer."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import rams
from tests.conftest import require_shared

pytestmark = [pytest.mark.eval, pytest.mark.slow]


def _corpus() -> Path:
    return require_shared(rams.DEFAULT_DIR / "dev.jsonlines", "RAMS dev").parent


def test_reads_only_request_and_command_windows_with_both_arguments() -> None:
    events = list(rams.read_events(_corpus() / "dev.jsonlines"))
    assert events
    assert all(e.type.startswith(rams.DEMAND_TYPES) for e in events)
    assert not any(e.type.startswith("contact.threatencoerce") for e in events)
    assert all(e.communicator[0] < e.communicator[1] for e in events)
    assert all(e.recipient[0] < e.recipient[1] for e in events)


def test_the_cross_check_reads_the_windows_with_exactly_one_argument() -> None:
    events = list(rams.read_events(_corpus() / "dev.jsonlines", both=False))
    assert events
    assert all((e.communicator[0] < e.communicator[1]) != (e.recipient[0] < e.recipient[1])
               for e in events)


def test_rams_slice_reports_coverage_and_both_parties() -> None:
    result = rams.run(_corpus(), limit=12)
    assert result["windows"] == 12
    assert result["found"]["hits"] >= 9  # measured 10
    assert result["both"]["hits"] >= 7  # measured 8
    assert result["both"]["hits"] <= min(result["claimant"]["hits"], result["addressee"]["hits"])
    report = rams.format_report(result)
    assert "coverage" in report and "both right" in report

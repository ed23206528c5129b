"""``storyrecords bench ingest --json`` prints the rows the performance docs are built from."""

from __future__ import annotations

import json

import pytest

from indexer.benchmarks import ingest


def test_bench_ingest_json_has_a_floor_and_a_rate_per_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ingest.main(["--articles", "40", "--sample", "8", "--workers", "1", "--backend",
                 "embedded", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["search"] == []
    rows = out["ingest"]
    assert {r["path"] for r in rows} == {"bulk load", "put + assign", "ingest in batches of 50"}
    for row in rows:
        assert row["backend"] == "embedded" and row["nlp"] is False
        assert row["articles"] >= 40, "the articles already in the store"
        assert row["articles_per_s"] > 0
    assert [r["workers"] for r in rows if r["path"] == "bulk load"] == [0]

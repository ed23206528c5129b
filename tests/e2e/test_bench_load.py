"""`storyrecords bench load` end to end, small: its figures come from a real server's jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("storyrecords"))


def test_a_load_in_two_jobs_stores_every_line_and_reports_its_memory_and_disk() -> None:
    run = subprocess.run(
        [SCRIPT, "bench", "load", "--articles", "60", "--batch", "30", "--poll-s", "0.5",
         "--json"],
        capture_output=True, text=True, timeout=240, check=True,
    )
    (row,) = json.loads(run.stdout)["ingest"]
    assert row["path"] == "API bulk jobs" and row["backend"] == "embedded"
    assert row["jobs"] == 2 and row["failed_jobs"] == 0
    assert row["created"] == 60 and row["rejected"] == 0 and row["searchable"] == 60
    assert row["timeouts"] == 0
    assert row["rss_mib_end"] > 0 and row["disk_mib_per_1k"] > 0
    assert "60/60 lines done (100.0%)" in run.stderr  # progress, as an operator follows it

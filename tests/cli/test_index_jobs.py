"""``storyrecords index --jobs``: a pool of extraction processes gives what one process gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from indexer.batch import can_fork, index_all
from indexer.ingest import Indexer
from indexer.intake import Outcome
from indexer.models import ArticleInput, Extraction
from indexer.sources import SourceRecord
from indexer.store.embedded import EmbeddedStore

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


def _records(folder: Path) -> Path:
    """The two samples cut into paragraphs: a dozen articles on one event, as JSON Lines."""
    lines = []
    for name in ("geneva-talks-long.txt", "geneva-talks-short.txt"):
        text = (SAMPLES / name).read_text(encoding="utf-8")
        paragraphs = [p for p in text.split("\n\n") if len(p.split()) > 12]
        for number, paragraph in enumerate(paragraphs[:6]):
            lines.append(json.dumps({"text": paragraph, "source": f"{name}#{number}",
                                     "published_at": "2022-01-10T18:00:00Z"}))
    path = folder / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _stored(data: Path) -> dict[str, tuple[Any, ...]]:
    store = EmbeddedStore(data / "storyrecords.sqlite3")
    try:
        return {a.id: (a.parties, a.venues, a.dates, a.demands, a.event_id)
                for a in store.iter_articles()}
    finally:
        store.close()


@pytest.mark.slow
def test_four_processes_store_what_one_process_stores(tmp_path: Path) -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"the samples are not at {SAMPLES}")
    source = _records(tmp_path)
    stored = {}
    for jobs in ("1", "4"):
        data = tmp_path / f"jobs-{jobs}"
        # A process of its own: the pool forks only from a process without other threads.
        done = subprocess.run(
            [sys.executable, "-c", "from api.cli import main; main()", "--data-dir", str(data),
             "index", "--progress", "--jobs", jobs, str(source)],
            capture_output=True, text=True, timeout=240,
            env={**os.environ, "STORYRECORDS_EXTRACTOR": "nlp"},
        )
        assert done.returncode == 0, done.stderr + done.stdout
        assert "rejected 0" in done.stdout + done.stderr
        # with a progress bar too (tqdm's monitor thread would forbid forking)
        assert ("extracting in 4 processes" in done.stderr) == (jobs == "4"), done.stderr
        stored[jobs] = _stored(data)
    assert len(stored["1"]) >= 5
    assert stored["4"] == stored["1"]
    assert any(parties for parties, *_ in stored["1"].values())


def _extract_where(item: ArticleInput) -> Extraction:
    """An extractor that says which process ran it."""
    return Extraction(text=f"{item.text} pid={os.getpid()}")


def test_a_process_running_threads_extracts_in_itself_rather_than_fork(tmp_path: Path) -> None:
    # A child forked now would inherit every lock the thread below holds (logging's, a
    # store's) and could wait on one forever: this process must not fork.
    release = threading.Event()
    other = threading.Thread(target=release.wait, args=(30,), daemon=True)
    other.start()
    store = EmbeddedStore(tmp_path / "store.sqlite3")
    heard: list[str] = []

    def on_outcome(number: int, record: SourceRecord, outcome: Outcome) -> bool:
        heard.append(outcome.status)
        return True

    try:
        assert not can_fork()
        records = [SourceRecord(origin=f"r{n}", data={"text": f"Talks number {n} in Geneva."})
                   for n in range(6)]
        index_all(Indexer(store, _extract_where, "test-1"), records, processes=2,
                  on_outcome=on_outcome)
        texts = {a.text for a in store.iter_articles()}
    finally:
        release.set()
        store.close()
    assert heard == ["created"] * 6
    assert {text.rsplit("pid=", 1)[1] for text in texts} == {str(os.getpid())}


def test_pool_workers_end_on_sigterm_whatever_handler_this_process_had(tmp_path: Path) -> None:
    # `storyrecords jobs run` (run in-process by a test, say) installs a SIGTERM handler that
    # only asks to stop. Forked workers inherited it; when the pool's exit drained the
    # sentinels meant for them (a race), they ignored its SIGTERM and it waited forever.
    script = f"""
import signal, threading
from indexer.batch import can_fork, index_all
from indexer.ingest import Indexer
from indexer.models import Extraction
from indexer.sources import SourceRecord
from indexer.store.embedded import EmbeddedStore
signal.signal(signal.SIGTERM, lambda *_: None)
assert can_fork(), threading.enumerate()
def extract(item):
    default = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    return Extraction(text=f"{{item.text}} default-sigterm={{default}}")
store = EmbeddedStore({str(tmp_path / "store.sqlite3")!r})
records = [SourceRecord(origin=f"r{{n}}", data={{"text": f"Talks number {{n}} in Geneva."}})
           for n in range(8)]
index_all(Indexer(store, extract, "test-1"), records, processes=2,
          on_outcome=lambda *_: True)
print(sorted({{a.text.rsplit("=", 1)[1] for a in store.iter_articles()}}), store.count_articles())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['True'] 8"

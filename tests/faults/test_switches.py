"""The two test-only switches the fault tests run with, in one process.

``STORYRECORDS_EXTRACTOR=none`` skips the NLP pipeline (the text is kept, nothing extracted);
``STORYRECORDS_FAILPOINT_ONCE=FILE`` lets a failpoint stop only the first arrival, in any
process, so the worker gunicorn starts in place of a killed one lets the retry through.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from indexer import failpoints
from indexer.ingest import NO_NLP_VERSION, default_extractor
from indexer.models import ArticleInput
from tests.faults.es_instance import wait_for

pytestmark = pytest.mark.slow  # part of the fault suite (fast, though)


def test_no_nlp_keeps_the_text_and_extracts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYRECORDS_EXTRACTOR", "none")
    extract, version = default_extractor()
    assert version == NO_NLP_VERSION
    found = extract(ArticleInput(text="  NATO met Russia in Geneva on Monday.\n"))
    assert found.text == "NATO met Russia in Geneva on Monday."
    assert (found.parties, found.places, found.dates) == ((), (), ())


def test_an_unknown_extractor_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYRECORDS_EXTRACTOR", "fast")
    with pytest.raises(ValueError, match="STORYRECORDS_EXTRACTOR"):
        default_extractor()


def test_a_failpoint_armed_once_stops_only_the_first_arrival(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "fired"
    monkeypatch.setenv("STORYRECORDS_FAILPOINT", "after-put")
    monkeypatch.setenv("STORYRECORDS_FAILPOINT_ONCE", str(marker))
    stopped = threading.Event()
    release = threading.Event()
    monkeypatch.setattr(failpoints, "_never", release)  # so the stopped thread can end

    def first() -> None:
        failpoints.failpoint("after-put")
        stopped.set()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip() == str(os.getpid()),
                 "the first arrival to claim the failpoint", timeout=10)
        assert not stopped.is_set()  # held there until released (the release is ours)
        failpoints.failpoint("after-put")  # a later arrival passes while the marker exists
        failpoints.failpoint("other")  # and other points never stop
    finally:
        release.set()
        thread.join(10)
    assert stopped.is_set()

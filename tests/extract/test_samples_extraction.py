"""End to end on the two Geneva samples with the real model: every expected item is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.evaluation import SHARED_DIR
from indexer.evaluation import samples as scorer
from indexer.models import Extraction
from tests.conftest import require_shared

SAMPLES = SHARED_DIR / "samples"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def extracted() -> dict[str, Extraction]:
    require_shared(SAMPLES / scorer.EXPECTED_FILE, "samples")
    return scorer.extract_samples(Path(SAMPLES))


SECTION_SCORERS = {**scorer.SECTIONS, "demands": scorer.score_demands, "event": scorer.score_event}


@pytest.mark.parametrize("section", list(SECTION_SCORERS))
def test_every_expected_item_is_found(extracted: dict[str, Extraction], section: str) -> None:
    expected = scorer.load_expected(SAMPLES)
    missing = [c for c in SECTION_SCORERS[section](expected, extracted) if not c.found]
    assert missing == []


def test_every_offset_points_at_its_text(extracted: dict[str, Extraction]) -> None:
    for ex in extracted.values():
        mentions = [m for p in ex.parties for m in p.mentions]
        mentions += [m for v in ex.venues for m in v.mentions]
        mentions += [m for p in ex.places for m in p.mentions]
        assert mentions
        assert all(ex.text[m.start : m.end] == m.text for m in mentions)


def test_facets_count_each_actor_once_and_keep_both_titles(
    extracted: dict[str, Extraction],
) -> None:
    for ex in extracted.values():
        ids = [p.id for p in ex.parties]
        assert len(ids) == len(set(ids))
        assert {"country:US", "country:RU", "org:nato"} <= set(ids)
    titles = {r for ex in extracted.values() for p in ex.parties
              if p.id == "person:wendy-sherman" for r in p.roles}
    assert titles == {"US Deputy Secretary of State", "US Deputy Foreign Minister"}


def test_venues_say_what_happens_there(extracted: dict[str, Extraction]) -> None:
    long = {v.name: v.what or "" for v in extracted["geneva-talks-long.txt"].venues}
    assert "talks" in long["Geneva"]
    assert "NATO" in long["Brussels"] and "Russia" in long["Brussels"]
    assert "OSCE" in long["Vienna"]

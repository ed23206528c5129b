"""Dates step on real parses: the samples' dates and tense-aware weekdays."""

from __future__ import annotations

import pytest
from spacy.language import Language

from indexer.evaluation import SHARED_DIR
from indexer.extract.dates import extract_dates
from indexer.models import DateRef
from indexer.pipeline import load_model, parse
from tests.conftest import require_shared

pytestmark = pytest.mark.slow
SAMPLES = SHARED_DIR / "samples"
PUBLISHED = "2022-01-11"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_model()


def _sample(name: str) -> str:
    return require_shared(SAMPLES / name, "sample").read_text(encoding="utf-8")


def _dates(nlp: Language, text: str, published_at: str | None = PUBLISHED) -> list[DateRef]:
    return list(extract_dates(parse(nlp, text), published_at))


def _value(found: list[DateRef], text: str, occurrence: int = 0) -> str | None:
    hits = [d for d in found if d.text == text]
    assert len(hits) > occurrence, f"{text!r} not found in {[d.text for d in found]}"
    return hits[occurrence].value


def test_short_sample_dates(nlp: Language) -> None:
    found = _dates(nlp, _sample("geneva-talks-short.txt"))
    assert _value(found, "yesterday") == "2022-01-10"
    assert _value(found, "this morning") == "2022-01-11"
    assert _value(found, "Thursday") == "2022-01-13"


def test_long_sample_dates(nlp: Language) -> None:
    found = _dates(nlp, _sample("geneva-talks-long.txt"))
    assert _value(found, "Monday") == "2022-01-10"
    assert _value(found, "Wednesday") == "2022-01-12"
    assert _value(found, "this Wednesday") == "2022-01-12"
    assert _value(found, "Thursday") == "2022-01-13"
    assert _value(found, "2014") == "2014"
    mid = next(d for d in found if d.text == "mid-2019")
    assert (mid.value, mid.granularity) == ("2019-06", "month")


def test_offsets_point_at_the_words(nlp: Language) -> None:
    text = _sample("geneva-talks-long.txt")
    for date in _dates(nlp, text):
        assert text[date.start : date.end] == date.text


def test_durations_are_not_dates(nlp: Language) -> None:
    found = _dates(nlp, "Sherman described the eight-hour talks as open and direct.")
    assert [d.text for d in found] == []


def test_weekday_follows_the_tense(nlp: Language) -> None:
    planned = _dates(nlp, "Further talks will take place on Thursday in Vienna.")
    held = _dates(nlp, "The talks took place on Thursday in Vienna.")
    assert _value(planned, "Thursday") == "2022-01-13"
    assert _value(held, "Thursday") == "2022-01-06"


def test_what_a_date_dates(nlp: Language) -> None:
    found = _dates(nlp, "Further talks will take place on Thursday in Vienna.")
    assert found[0].dates == "talks"


def test_without_publication_date_relative_dates_stay_unresolved(nlp: Language) -> None:
    found = _dates(nlp, "The talks ended yesterday, the first since 2014.", None)
    yesterday = next(d for d in found if d.text == "yesterday")
    year = next(d for d in found if d.text == "2014")
    assert (yesterday.resolved, yesterday.value, yesterday.granularity) == (False, None, "day")
    assert (year.resolved, year.value) == (True, "2014")


def test_datetime_publication_strings_are_accepted(nlp: Language) -> None:
    found = _dates(nlp, "Talks were held yesterday.", "2022-01-11T08:30:00+00:00")
    assert _value(found, "yesterday") == "2022-01-10"

"""Durations as comparable facts: the hedge is kept so disagreements between sources show."""

from __future__ import annotations

import spacy

from indexer.extract.facts import extract_facts


def _facts(text: str) -> list[tuple[str, str, str]]:
    doc = spacy.blank("en")(text)
    return [(f.about, f.value, f.mention.text) for f in extract_facts(doc)]


def test_duration_of_talks_keeps_its_hedge() -> None:
    assert _facts("Sherman described the eight-hour talks as open.") == [
        ("talks", "eight-hour", "eight-hour talks")
    ]
    assert _facts("She called the nearly eight-hour talks direct.") == [
        ("talks", "nearly eight-hour", "nearly eight-hour talks")
    ]


def test_durations_of_other_things_are_not_facts_about_happenings() -> None:
    assert _facts("He drove a two-hour car ride and a 40-minute walk.") == []
    assert _facts("The 3-day summit ended.") == [("summit", "3-day", "3-day summit")]

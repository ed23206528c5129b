"""The one definition of a word both backends index and query by, checked against its meaning."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.store.query import words


def _by_the_definition(text: str) -> list[str]:
    """Every character that is not alphanumeric separates words; each word lower-cased."""
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
    return [w.lower() for w in cleaned.split()]


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_words_are_the_alphanumeric_runs_lower_cased(text: str) -> None:
    assert words(text) == _by_the_definition(text)


def test_words_of_news_text() -> None:
    assert words("U.S.-Russia talks_2022 in GENÈVE, İstanbul: 8-hour ½ day") == [
        "u", "s", "russia", "talks", "2022", "in", "genève", "i̇stanbul", "8", "hour", "½",
        "day"]

"""Normalising one temporal expression: pure function, no model needed."""

from __future__ import annotations

import datetime as dt

import pytest

from storyrecords.indexer.extract.temporal_values import Tense, normalise

TUESDAY = dt.date(2022, 1, 11)


@pytest.mark.parametrize(
    ("text", "tense", "kind", "value"),
    [
        ("yesterday", "past", "DATE", "2022-01-10"),
        ("this morning", "future", "TIME", "2022-01-11TMO"),
        ("Monday", "past", "DATE", "2022-01-10"),
        ("Thursday", "future", "DATE", "2022-01-13"),
        ("Thursday", "past", "DATE", "2022-01-06"),
        ("this Wednesday", "none", "DATE", "2022-01-12"),
        ("next Monday", "none", "DATE", "2022-01-17"),
        ("January 10, 2022", "none", "DATE", "2022-01-10"),
        ("Aug. 7", "past", "DATE", "2021-08-07"),
        ("December", "past", "DATE", "2021-12"),
        ("March", "future", "DATE", "2022-03"),
        ("2014", "none", "DATE", "2014"),
        ("the 1990s", "none", "DATE", "199"),
        ("last year", "past", "DATE", "2021"),
        ("this week", "none", "DATE", "2022-W02"),
        ("the third quarter", "past", "DATE", "2021-Q3"),
        ("two years ago", "past", "DATE", "2020"),
        ("10:35 a.m.", "past", "TIME", "2022-01-11T10:35"),
        ("three days", "none", "DURATION", "P3D"),
        ("eight-hour", "none", "DURATION", "PT8H"),
        ("the past three years", "none", "DURATION", "P3Y"),
        ("daily", "none", "SET", "P1D"),
        ("now", "none", "DATE", "PRESENT_REF"),
    ],
)
def test_normalises_news_expressions(text: str, tense: Tense, kind: str, value: str) -> None:
    found = normalise(text, TUESDAY, tense)
    assert found is not None
    assert (found.type, found.value) == (kind, value)


def test_mid_year_keeps_its_modifier() -> None:
    found = normalise("mid-2019", TUESDAY)
    assert found is not None and (found.value, found.mod) == ("2019", "MID")


def test_relative_expressions_stay_unresolved_without_a_reference_date() -> None:
    for text in ("yesterday", "on Monday", "last year", "this morning", "Aug. 7"):
        found = normalise(text, None)
        assert found is not None and found.value is None, text


def test_absolute_expressions_resolve_without_a_reference_date() -> None:
    for text, value in (
        ("January 10, 2022", "2022-01-10"),
        ("2014", "2014"),
        ("May 2019", "2019-05"),
    ):
        found = normalise(text, None)
        assert found is not None and found.value == value, text


def test_quarterly_reports_read_a_year_earlier_as_that_quarter() -> None:
    found = normalise("a year earlier", dt.date(1989, 10, 30), "past", quarterly=True)
    assert found is not None and found.value == "1988-Q3"


def test_non_temporal_text_gives_nothing() -> None:
    assert normalise("the ambassador", TUESDAY) is None

"""Normalising one temporal expression: pure function, no model needed."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.extract.temporal_values import Tense, normalise

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


@pytest.mark.parametrize(
    ("text", "tense", "ref", "value"),
    [
        ("last November", "past", dt.date(2000, 1, 13), "1999-11"),
        ("June last year", "past", dt.date(1998, 2, 19), "1997-06"),
        ("nineteen ninety-six", "none", TUESDAY, "1996"),
        ("the year two thousand", "none", TUESDAY, "2000"),
        ("Monday, Oct. 26", "past", dt.date(1998, 10, 25), "1998-10-26"),
        ("Oct. 23", "past", dt.date(1999, 5, 5), "1998-10-23"),
        ("Jan. 2", "present", dt.date(1989, 11, 2), "1990-01-02"),
        ("September", "past", dt.date(1990, 8, 16), "1990-09"),
        ("the weekend", "past", dt.date(1990, 8, 13), "1990-W32-WE"),
        ("Wednesday evening", "past", dt.date(2000, 3, 29), "2000-03-29TEV"),
        ("noon Thursday", "past", dt.date(1998, 2, 13), "1998-02-12T12:00"),
        ("the year-ago third quarter", "past", dt.date(1989, 10, 30), "1988-Q3"),
        ("the 1988 quarter", "past", dt.date(1989, 10, 30), "1988-Q3"),
        ("the week of March 6", "none", dt.date(2000, 2, 24), "2000-W10"),
        ("recent years", "past", TUESDAY, "PXY"),
    ],
)
def test_relative_months_spelled_years_and_quarters(
    text: str, tense: Tense, ref: dt.date, value: str
) -> None:
    found = normalise(text, ref, tense)
    assert found is not None and found.value == value, (text, found)


def test_modal_may_is_not_a_month() -> None:
    assert normalise("may", TUESDAY) is None
    found = normalise("May", TUESDAY, "future")
    assert found is not None and found.value == "2022-05"

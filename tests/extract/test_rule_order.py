"""The normaliser's rules have one ranking, RULES, and every rule is in it exactly once."""

from __future__ import annotations

from indexer.extract import temporal_values
from indexer.extract.temporal_values import RULES, Rule, normalise


def test_every_rule_defined_is_ranked_once() -> None:
    defined = {v for v in vars(temporal_values).values() if isinstance(v, Rule)}
    assert len(RULES) == len(set(RULES)) == len(defined)
    assert set(RULES) == defined


def test_special_cases_rank_before_the_general_rules_and_dateparser_last() -> None:
    names = [r.name for r in RULES]
    assert names[:5] == [
        "_too_long", "_verb_not_month", "_quarter_a_year_back", "_year_back", "_week_of"
    ]
    assert names[-1] == "_by_dateparser"


def test_the_verb_may_is_no_month_but_may_with_a_day_is() -> None:
    assert normalise("may", None) is None
    found = normalise("May 5, 2021", None)
    assert found is not None and found.value == "2021-05-05"

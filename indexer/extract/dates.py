"""Dates step: every calendar-anchored temporal expression, resolved against the publication date.

Durations ("eight-hour talks") and frequencies ("daily") are temporal but date nothing, so
they are left out; vague references ("recently", "now") are left out too. Without a
publication date, relative expressions come back ``resolved=False`` with no value.
"""

from __future__ import annotations

import datetime as dt
import re

from spacy.tokens import Doc, Token

from indexer.extract.doc_index import doc_index
from indexer.extract.temporal_spans import TemporalSpan, find_temporal_spans
from indexer.extract.temporal_values import Normalised, normalise
from indexer.models import DateRef, Granularity

_GRANULARITY: list[tuple[re.Pattern[str], Granularity]] = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"), "time"),
    (re.compile(r"\d{4}-\d{2}-\d{2}(T[A-Z]{2})?"), "day"),
    (re.compile(r"\d{4}-W\d{2}(-WE)?"), "week"),
    (re.compile(r"\d{4}-\d{2}"), "month"),
    (re.compile(r"\d{4}-(SP|SU|FA|WI)"), "season"),
    (re.compile(r"\d{4}"), "year"),
    (re.compile(r"\d{3}"), "decade"),
]
_EVENT_VERBS = {
    "take",
    "hold",
    "be",
    "happen",
    "occur",
    "begin",
    "start",
    "continue",
    "follow",
    "end",
    "resume",
}
_DUMMY_REF = dt.date(2000, 6, 14)


def parse_published_at(published_at: str | None) -> dt.date | None:
    """The calendar day of an ISO date or datetime string; None when absent or unreadable."""
    if not published_at:
        return None
    try:
        return dt.date.fromisoformat(published_at[:10])
    except ValueError:
        return None


def granularity_of(value: str) -> Granularity:
    """Granularity of a TIMEX3-style value ("2022-01-10" -> day, "2019-06" -> month)."""
    for pattern, granularity in _GRANULARITY:
        if pattern.fullmatch(value):
            return granularity
    return "unknown"


def product_value(norm: Normalised) -> str | None:
    """The stored value: day precision for parts of days, "mid-2019" as June 2019."""
    value = norm.value
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[A-Z]{2}", value):
        return value[:10]
    if norm.mod == "MID" and re.fullmatch(r"\d{4}", value):
        return value + "-06"
    return value


def what_it_dates(head: Token | None) -> str | None:
    """The happening a date attaches to: the subject of "take place"-like verbs, else the verb."""
    if head is None:
        return None
    if head.lemma_ in _EVENT_VERBS:
        for child in doc_index(head.doc).children_of(head):
            if child.dep_ in {"nsubj", "nsubjpass"} and child.pos_ in {"NOUN", "PROPN"}:
                return child.lower_
    return head.lemma_.lower() if head.pos_ in {"VERB", "NOUN"} else None


def to_dateref(found: TemporalSpan, ref: dt.date | None) -> DateRef | None:
    """One DateRef, or None for durations, frequencies and vague references."""
    span = found.span
    norm = normalise(span.text, ref, found.tense, found.quarterly)
    if norm is None or norm.type in {"DURATION", "SET"}:
        return None
    if norm.value is not None and norm.value.endswith("_REF"):
        return None
    value = product_value(norm)
    if value is None:
        shape = normalise(span.text, _DUMMY_REF, found.tense)
        shaped = product_value(shape) if shape is not None else None
        granularity = granularity_of(shaped) if shaped else "unknown"
    else:
        granularity = granularity_of(value)
    return DateRef(
        text=span.text,
        start=span.start_char,
        end=span.end_char,
        value=value,
        granularity=granularity,
        resolved=value is not None,
        dates=what_it_dates(found.head),
    )


def extract_dates(doc: Doc, published_at: str | None) -> tuple[DateRef, ...]:
    """All dates in ``doc``, resolved against ``published_at`` with the tense of their clause."""
    ref = parse_published_at(published_at)
    refs = (to_dateref(found, ref) for found in find_temporal_spans(doc))
    return tuple(ref_ for ref_ in refs if ref_ is not None)

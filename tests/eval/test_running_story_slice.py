"""A running story through the real pipeline and the store: one happening, one event.

Three happenings on three days (Geneva, Brussels, Vienna), the same actors throughout, four
outlets each, one of them undated: every happening must be its own event (also for the
undated copies, assigned on content alone), and the three events one story, the Geneva
event announcing the other two.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest

from indexer.evaluation.event_clustering import (
    assign,
    assign_stories,
    build_events,
    prepare,
    scores,
    store_assign,
)
from indexer.events.stories import announced, fulfils, timeline
from indexer.ingest import build_article
from indexer.models import Article, ArticleInput
from indexer.pipeline import default_pipeline
from tests.events.running_story import ARTICLES

pytestmark = [pytest.mark.eval, pytest.mark.slow]

ORDER = ("g1", "g3", "g4", "g2", "b1", "b3", "b4", "b2", "v1", "v3", "v4", "v2")
GOLD = {item.id: item.happening for item in ARTICLES}


@cache
def _articles() -> dict[str, Article]:
    pipeline = default_pipeline()
    out = {}
    for item in ARTICLES:
        extraction = pipeline.extract(item.text, published_at=item.published_at)
        built = build_article(
            ArticleInput(text=item.text, source=item.source, published_at=item.published_at),
            extraction, "test")
        out[item.id] = dataclasses.replace(built, id=item.id)
    return out


def test_each_happening_of_the_running_story_is_one_event() -> None:
    articles = _articles()
    pred = assign(prepare(articles), ORDER, articles=articles)
    assert scores(pred, GOLD)["b3"]["f1"] == 1.0
    through_store = store_assign(articles, ORDER)
    assert scores(through_store, GOLD)["b3"]["f1"] == 1.0


def test_the_three_events_are_one_story_in_order() -> None:
    articles = _articles()
    prepared = prepare(articles)
    events = build_events(articles, assign(prepared, ORDER), ORDER, prepared)
    assert len(events) == 3
    stories = assign_stories(events)
    assert len(set(stories.values())) == 1
    geneva, brussels, vienna = timeline(events)
    assert geneva.venue is not None and geneva.venue.name == "Geneva"
    pending = {a.venue: a for a in announced(geneva)}
    assert set(pending) == {"Brussels", "Vienna"}
    assert fulfils(brussels, pending["Brussels"]) and fulfils(vienna, pending["Vienna"])

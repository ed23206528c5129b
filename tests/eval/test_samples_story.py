"""The founding example as a story: one Geneva event announcing Brussels and Vienna, and a
report of the Brussels council, when it arrives, an event of its own in the same story."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.ingest import Indexer, default_extractor
from indexer.models import ArticleInput
from indexer.sources import txt_article
from indexer.store.embedded import EmbeddedStore
from indexer.store.query import STORY_FACETS, SearchQuery
from tests.conftest import SHARED, require_shared

pytestmark = pytest.mark.slow

BRUSSELS = (
    "Senior officials from NATO and Russia met in Brussels on Wednesday for talks at the "
    "NATO-Russia Council, the first such meeting in more than two years. NATO Secretary "
    "General Jens Stoltenberg said the alliance was ready to discuss arms control but would "
    "not give up its open-door policy. Russian Deputy Foreign Minister Alexander Grushko led "
    "the Russian delegation. The talks followed Monday's meeting between US and Russian "
    "negotiators in Geneva."
)


def test_the_samples_make_one_geneva_event_in_a_story_with_brussels_and_vienna(
    tmp_path: Path,
) -> None:
    samples = require_shared(SHARED / "samples", "the sample articles")
    expected = json.loads((samples / "geneva-talks.expected.json").read_text())
    store = EmbeddedStore(tmp_path / "s.sqlite3")
    indexer = Indexer(store, *default_extractor())
    for name, meta in expected["articles"].items():
        fields = txt_article((samples / name).read_text(encoding="utf-8"))
        indexer.ingest(ArticleInput(**fields, source=meta["source"],
                                    published_at=meta["published_at"]))

    (story,) = store.search_stories(SearchQuery(facets=STORY_FACETS)).hits
    assert [(e.venue, e.date, e.article_count) for e in story.events] == [
        ("Geneva", "2022-01-10", 2)
    ]
    assert {a.venue for a in story.announced} == {"Brussels", "Vienna"}

    brussels = indexer.ingest(ArticleInput(
        text=BRUSSELS, title="NATO and Russia hold council meeting in Brussels",
        source="wire-x", published_at="2022-01-12",
    )).article
    (story,) = store.search_stories(SearchQuery(facets=STORY_FACETS)).hits
    assert [(e.venue, e.date) for e in story.events] == [
        ("Geneva", "2022-01-10"), ("Brussels", "2022-01-12")
    ]
    assert story.events[1].event_id == brussels.event_id
    assert {a.venue for a in story.announced} == {"Vienna"}
    store.close()

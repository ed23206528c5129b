"""Extracting many articles at once (the model parsing them as one batch) gives each exactly
what extracting it alone gives, and one refused article costs the others nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import Unprocessable
from indexer.evaluation import SHARED_DIR
from indexer.extract import budget
from indexer.ingest import NlpExtractor, extract_many, language_aware
from indexer.models import ArticleInput, Extraction
from indexer.pipeline import default_pipeline
from tests.conftest import require_shared

HAND_WRITTEN = [
    ("Russia demanded on Monday that NATO pull its forces out of Romania and Bulgaria, "
     "Deputy Foreign Minister Sergei Ryabkov said in Geneva.", "2022-01-11"),
    ("Talks will resume in Vienna on Thursday.\nOfficials said little.", None),
    ("Le ministre a demandé lundi à Paris que les négociations reprennent rapidement, "
     "a déclaré le porte-parole du gouvernement français.", "2022-01-11"),
    ("The European Union urged Iran to return to the nuclear talks in Vienna next week, "
     "a spokesman said on Friday.", "2021-11-19"),
]


def _samples() -> list[tuple[str, str | None]]:
    folder: Path = require_shared(SHARED_DIR / "samples", "the Geneva samples")
    return [(path.read_text(encoding="utf-8"), "2022-01-11")
            for path in sorted(folder.glob("geneva-talks-*.txt"))]


def test_a_batch_extracts_each_article_as_it_would_alone() -> None:
    pipeline = default_pipeline()
    articles = [*_samples(), *HAND_WRITTEN]
    alone = [pipeline.extract(text, published_at=published) for text, published in articles]
    together = pipeline.extract_many(articles)
    assert together == alone
    assert any(e.demands for e in together if isinstance(e, Extraction))


def test_a_refused_article_in_a_batch_gets_its_own_refusal_and_no_other_one() -> None:
    pipeline = default_pipeline()
    over = "a " * (budget.MAX_PARSE_TOKENS + 1)
    text, published = HAND_WRITTEN[0]
    found = pipeline.extract_many([(text, published), (over, None), (text, published)])
    assert isinstance(found[1], Unprocessable) and "50,000" in str(found[1])
    assert found[0] == found[2] == pipeline.extract(text, published_at=published)


def test_the_served_extractor_batches_english_and_leaves_other_languages_uncut() -> None:
    aware = language_aware(NlpExtractor())
    items = [ArticleInput(text=text, published_at=published, language="fr" if n == 2 else None)
             for n, (text, published) in enumerate(HAND_WRITTEN)]
    assert extract_many(aware, items) == [aware(item) for item in items]
    french = extract_many(aware, items)[2]
    assert isinstance(french, Extraction)
    assert french.language == "fr" and french.skipped_steps and not french.parties


def test_an_extractor_without_batches_is_called_per_item() -> None:
    seen: list[str] = []

    def one(item: ArticleInput) -> Extraction:
        seen.append(item.text)
        if item.text == "no":
            raise Unprocessable("refused")
        return Extraction(text=item.text)

    found = extract_many(one, [ArticleInput(text="a"), ArticleInput(text="no"),
                               ArticleInput(text="b")])
    assert seen == ["a", "no", "b"]
    assert isinstance(found[1], Unprocessable)
    assert [f.text for f in found if isinstance(f, Extraction)] == ["a", "b"]


@pytest.mark.parametrize("size", [1, 3])
def test_batches_of_any_size_agree(size: int) -> None:
    pipeline = default_pipeline()
    articles = HAND_WRITTEN[:size]
    assert pipeline.extract_many(articles) == [
        pipeline.extract(t, published_at=p) for t, p in articles]

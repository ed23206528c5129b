"""One article's extraction has a hard budget, and ordinary articles stay well inside it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from indexer.errors import Unprocessable
from indexer.evaluation import SHARED_DIR
from indexer.extract import budget
from indexer.models import Extraction
from indexer.pipeline import Pipeline, load_model
from tests.conftest import require_shared


@pytest.fixture(scope="module")
def blank() -> Pipeline:
    """A pipeline over spaCy's bare tokenizer: enough to reach every cap without the model."""
    return Pipeline(spacy.blank("en"))


def test_raw_text_over_the_cap_is_refused_with_its_length(blank: Pipeline) -> None:
    with pytest.raises(Unprocessable, match=r"2,000,001 characters long.*up to 2,000,000"):
        blank.extract("a" * (budget.MAX_TEXT_CHARS + 1))


def test_cleaned_text_over_the_parse_cap_is_refused(blank: Pipeline) -> None:
    with pytest.raises(Unprocessable, match="After cleaning, the text is 500,002 characters"):
        blank.extract("ab" * 250_001)


def test_too_many_tokens_are_refused_before_the_model_runs(blank: Pipeline) -> None:
    with pytest.raises(Unprocessable, match=r"50,001 words and marks; .* up to 50,000"):
        blank.extract("a " * (budget.MAX_PARSE_TOKENS + 1))


def test_text_in_another_language_has_the_same_cap(blank: Pipeline) -> None:
    # Only cleaning runs on it, but cleaning 20 MB still holds a worker.
    from indexer.ingest import language_aware
    from indexer.models import ArticleInput

    extract = language_aware(lambda item: blank.extract(item.text))
    text = "Colloqui a Ginevra tra Russia e NATO. " * 60_000
    with pytest.raises(Unprocessable, match="up to 2,000,000"):
        extract(ArticleInput(text=text, language="it"))


def test_the_extract_command_says_the_text_is_over_budget(
    blank: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from api import cli

    monkeypatch.setattr("indexer.ingest.default_extractor",
                        lambda: (lambda item: blank.extract(item.text), "blank"))
    article = tmp_path / "long.txt"
    article.write_text("a " * (budget.MAX_PARSE_TOKENS + 1), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["extract", str(article)])
    assert result.exit_code == 1 and result.exception is not None
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "50,001 words and marks" in result.output


def test_the_slow_date_parser_budget_counts_distinct_expressions() -> None:
    with budget.article_budget():
        for _ in range(3):
            budget.spend_slow_parse("the same expression")  # a repeat is free
        for i in range(budget.MAX_SLOW_PARSES - 1):
            budget.spend_slow_parse(i)
        with pytest.raises(Unprocessable, match="more than 300 date-like expressions"):
            budget.spend_slow_parse("one too many")
    budget.spend_slow_parse("outside any article nothing is counted")


def test_each_article_gets_a_fresh_slow_parse_budget() -> None:
    for _ in range(2):
        with budget.article_budget():
            for i in range(budget.MAX_SLOW_PARSES):
                budget.spend_slow_parse(i)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_model()


def _sample_text() -> str:
    samples = require_shared(SHARED_DIR / "samples", "samples")
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(samples.glob("*.txt")))


@pytest.mark.slow
def test_a_100_kb_article_is_extracted_within_budget(nlp: Language) -> None:
    sample = _sample_text()
    text = "\n\n".join([sample] * (100_000 // len(sample) + 1))
    assert len(text) >= 100_000
    found = Pipeline(nlp).extract(text, published_at="2022-01-11")
    assert {"Russia", "NATO"} <= {p.name for p in found.parties}
    assert found.venues


@pytest.mark.slow
def test_the_vocabulary_does_not_keep_an_articles_new_words(nlp: Language) -> None:
    pipeline = Pipeline(nlp)
    pipeline.extract("Warm-up: talks in Geneva on Monday.")
    before = len(nlp.vocab.strings)
    found = pipeline.extract(
        "Minister Zorblatt Quenwick met Frobnitz officials in Geneva on Monday.",
        published_at="2022-01-11",
    )
    assert len(nlp.vocab.strings) == before
    # what the extraction returns is plain data, readable after the zone ended
    assert "Zorblatt" in found.text
    assert any("Quenwick" in p.name for p in found.parties)


@pytest.mark.slow
def test_without_the_zone_new_words_stay(nlp: Language) -> None:
    before = len(nlp.vocab.strings)
    Pipeline(nlp, memory_zone=False).extract("Minister Xyloquart Bemvindo met in Oslo.")
    assert len(nlp.vocab.strings) > before


@pytest.mark.slow
def test_threads_extracting_at_once_get_what_they_would_alone(nlp: Language) -> None:
    pipeline = Pipeline(nlp)
    texts = [
        f"Minister Qarvel{i} of Norway met NATO officials in Geneva on Monday." for i in range(6)
    ]
    alone = [pipeline.extract(t, published_at="2022-01-11") for t in texts]
    together: dict[int, Extraction] = {}

    def run(i: int) -> None:
        together[i] = pipeline.extract(texts[i], published_at="2022-01-11")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [together[i] for i in range(len(texts))] == alone

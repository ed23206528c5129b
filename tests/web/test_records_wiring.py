"""How page records, languages and copies reach the stored Article, below the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import marshmallow as ma
import pytest

from indexer.dedup import Signature
from indexer.duplicates import find_original, query_terms
from indexer.events.merge import merge_event
from indexer.ingest import Indexer, build_article, language_aware
from indexer.intake import load_input
from indexer.language import resolve_language
from indexer.models import ENGLISH_ONLY_STEPS, Article, ArticleInput, Extraction, PageInfo
from indexer.reindex import reextract
from indexer.sources import read_sources
from indexer.store.embedded import EmbeddedStore
from tests.api.test_copies import COPY, ORIGINAL, OTHER
from tests.conftest import fake_extract

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "s.sqlite3")
    yield opened
    opened.close()


def test_language_is_given_detected_when_reliable_or_assumed() -> None:
    italian = (FIXTURES / "article-it.html").read_text(encoding="utf-8")
    assert resolve_language("anything", "de") == ("de", "client")
    assert resolve_language("anything", "pt-BR", "meta") == ("pt-BR", "meta")
    assert resolve_language("Russia e NATO a Ginevra.", None) == ("en", "default")
    assert resolve_language("Вчера в Женеве прошли переговоры.", None) == ("ru", "text")
    assert resolve_language(italian * 3, None)[0] == "it"
    assert resolve_language("12345 67890 ...", None) == ("en", "default")


def test_only_the_cleaning_step_runs_for_another_language() -> None:
    calls: list[ArticleInput] = []

    def extract(item: ArticleInput) -> Extraction:
        calls.append(item)
        return fake_extract(item)

    aware = language_aware(extract)
    assert language_aware(aware) is aware  # wrapping twice changes nothing
    foreign = aware(ArticleInput(text="Russland und die NATO trafen sich in Genf.\n"
                                      "Sign up for our newsletter", language="de"))
    assert calls == [] and foreign.parties == ()
    assert foreign.skipped_steps == ENGLISH_ONLY_STEPS and foreign.language == "de"
    assert "newsletter" not in foreign.text  # cleaned all the same
    english = aware(ArticleInput(text="Russia met NATO in Geneva."))
    assert len(calls) == 1 and english.parties and english.skipped_steps == ()
    assert (english.language, english.language_source) == ("en", "default")


def test_page_records_are_trusted_and_a_clients_json_is_not() -> None:
    (page,) = read_sources([FIXTURES / "article-pt.html"])
    assert page.trusted
    item = load_input(page.data, trusted=True)
    assert item.page is not None and item.page.sha256 and item.language == "pt"
    with pytest.raises(ma.ValidationError) as refused:
        load_input(page.data)
    assert refused.value.messages == {"page": ["Unknown field."]}


def test_the_stored_record_carries_the_page_language_and_signature() -> None:
    (page,) = read_sources([FIXTURES / "article-pt.html"])
    item = load_input(page.data, trusted=True)
    article = build_article(item, language_aware(fake_extract)(item), "v")
    assert article.page == item.page
    assert (article.language, article.language_source) == ("pt", "text")
    assert article.skipped_steps == ENGLISH_ONLY_STEPS
    assert article.signature and Signature.decode(article.signature).shingles > 25
    assert Article.from_dict(article.to_dict()) == article


def test_records_stored_before_these_fields_still_load() -> None:
    old = {"id": "a1", "text": "Old text.", "content_hash": "h", "extractor_version": "0.1",
           "indexed_at": "2022-01-01T00:00:00Z", "language": "en", "parties": []}
    article = Article.from_dict(old)
    assert (article.page, article.duplicate_of, article.signature) == (None, None, None)
    assert article.skipped_steps == () and article.language_source is None
    page = PageInfo.from_dict({"url": "https://a.example/", "sources": {"title": "meta"},
                               "a-field-from-the-future": 1})
    assert page.sources == {"title": "meta"} and page.authors == ()


def test_a_rebuild_keeps_what_only_ingest_knew() -> None:
    (page,) = read_sources([FIXTURES / "article-pt.html"])
    item = load_input(page.data, trusted=True)
    stored = replace(build_article(item, language_aware(fake_extract)(item), "v1"),
                     duplicate_of="a-original", event_id="e1")
    fresh = reextract(stored, fake_extract, "v2")
    assert (fresh.page, fresh.duplicate_of, fresh.language_source) == (
        stored.page, "a-original", "text")
    assert fresh.skipped_steps == ENGLISH_ONLY_STEPS and fresh.parties == ()
    assert fresh.extractor_version == "v2" and fresh.event_id is None


def test_candidate_queries_come_from_body_lines() -> None:
    queries = query_terms(ORIGINAL["text"])
    assert 2 <= len(queries) <= 3 and all(2 <= len(q) <= 4 for q in queries)
    copy_words = set(COPY["text"].lower().replace(".", " ").replace(",", " ").split())
    assert any(set(q) <= copy_words for q in queries)  # the copy shares one passage whole
    assert query_terms("") == []


def test_find_original_on_a_store(store: EmbeddedStore) -> None:
    indexer = Indexer(store, fake_extract, "t")
    original = indexer.ingest(load_input(ORIGINAL)).article
    copy = indexer.ingest(load_input(COPY)).article
    other = indexer.ingest(load_input(OTHER)).article
    assert copy.duplicate_of == original.id
    assert other.duplicate_of is None and original.duplicate_of is None
    assert find_original(store, replace(copy, id="fresh")) == original.id
    tiny = indexer.ingest(load_input({"text": "Negotiators from Russia left Geneva."})).article
    assert tiny.duplicate_of is None  # too short to tell
    from indexer.check import check

    assert check(store).clean  # copies keep every invariant of the store


def test_a_merged_event_counts_a_copy_once() -> None:
    def article(ident: str, source: str, when: str, copy_of: str | None = None) -> Article:
        built = build_article(ArticleInput(text="Russia and NATO met in Geneva.", source=source,
                                           id=ident),
                              fake_extract(ArticleInput(text="Russia and NATO met in Geneva.")),
                              "t")
        return replace(built, indexed_at=when, duplicate_of=copy_of)

    members = [article("a1", "wire", "2022-01-01T00:00:00Z"),
               article("a2", "reprint", "2022-01-01T00:01:00Z", copy_of="a1"),
               article("a3", "other", "2022-01-01T00:02:00Z")]
    event = merge_event("e1", members, first_seen="x", last_updated="y")
    assert event.articles == ("a1", "a2", "a3")
    assert event.sources == ("other", "wire")
    assert {p.id: p.article_count for p in event.parties} == {"country:RU": 2, "org:nato": 2}
    alone = merge_event("e1", members[1:2], first_seen="x", last_updated="y")
    assert alone.sources == ("reprint",)  # its original is not a member: it counts

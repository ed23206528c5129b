"""The Elasticsearch documents and queries, checked without a server.

These pin what the backend sends: flat keyword facets (no nested aggregations), one request
per page with exact totals, and facet counts that ignore their own selection.
"""

from __future__ import annotations

from indexer.models import Article, Mention, Party
from indexer.store import es_compile
from indexer.store.paging import plan_page
from indexer.store.query import Cursor, SearchQuery, decode_cursor, encode_cursor
from indexer.timefmt import now_iso


def _article() -> Article:
    text = "Russia and the United States met in Genève."
    return Article(
        id="a1",
        text=text,
        content_hash="h",
        extractor_version="t",
        indexed_at=now_iso(),
        title="Talks in Genève",
        source="wire",
        published_at="2022-01-11",
        parties=(
            Party("country:RU", "Russia", "country", (Mention(0, 6, "Russia"),)),
            Party("country:US", "United States", "country", (Mention(15, 28, "United States"),)),
        ),
    )


def test_article_document_has_flat_facets_with_labels_and_folded_text() -> None:
    doc = es_compile.article_document(_article())
    assert doc["facets"]["party"] == ["country:RU", "country:US"]
    assert doc["facet_labels"]["party"] == ["country:RU\x1fRussia", "country:US\x1fUnited States"]
    assert doc["facets"]["source"] == ["wire"]
    assert doc["facets"]["month"] == ["2022-01"]
    assert "geneve" in doc["text"] and "geneve" in doc["title"]
    assert doc["doc"]["id"] == "a1"


def test_a_facet_without_other_selections_is_one_plain_terms_aggregation() -> None:
    agg = es_compile.facet_agg("party", SearchQuery(filters={"party": ("country:RU",)}))
    assert agg == {
        "terms": {
            "field": "facet_labels.party",
            "size": 20,
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    }


def test_facet_counts_apply_the_other_facets_selections_only() -> None:
    query = SearchQuery(filters={"party": ("country:RU",), "source": ("wire",)})
    agg = es_compile.facet_agg("party", query)
    assert agg["filter"] == {"bool": {"filter": [{"terms": {"facets.source": ["wire"]}}]}}
    assert agg["aggs"]["values"]["terms"]["field"] == "facet_labels.party"


def test_search_request_filters_hits_by_selection_and_counts_exactly() -> None:
    query = SearchQuery(q="geneva talks", filters={"party": ("country:RU",)}, size=5)
    plan = plan_page(query, has_text=True)
    body = es_compile.search_request(query, plan, [])
    assert body["size"] == 6  # one extra row says whether there is a next page
    assert body["track_total_hits"] is True
    selected = [{"terms": {"facets.party": ["country:RU"]}}]
    assert body["post_filter"] == {"bool": {"filter": selected}}
    assert body["sort"][0] == {"_score": {"order": "desc"}}
    assert [c["multi_match"]["query"] for c in body["query"]["bool"]["must"]] == ["geneva", "talks"]
    assert "nested" not in repr(body)


def test_no_selection_means_no_post_filter_and_newest_without_text() -> None:
    query = SearchQuery(sort="relevance")
    body = es_compile.search_request(query, plan_page(query, has_text=False), [])
    assert "post_filter" not in body
    assert body["sort"][0] == {"published_utc": {"order": "desc", "missing": ""}}


def test_a_cursor_continues_after_its_position() -> None:
    first = SearchQuery(sort="newest", size=2)
    after = ("2022-01-11T00:00:00Z", "a7")
    token = encode_cursor(Cursor("newest", after, 123, first.fingerprint()))

    query = SearchQuery(sort="newest", size=2, cursor=decode_cursor(token))
    body = es_compile.search_request(query, plan_page(query, has_text=False), [])
    assert body["search_after"] == ["2022-01-11T00:00:00Z", "a7"]
    assert {"range": {"indexed_us": {"lte": 123}}} in body["query"]["bool"]["filter"]


def test_buckets_merge_a_value_seen_with_two_labels_and_keep_the_top_values() -> None:
    raw = {
        "buckets": [
            {"key": "country:US\x1fUnited States", "doc_count": 3},
            {"key": "org:nato\x1fNATO", "doc_count": 3},
            {"key": "country:US\x1fUSA", "doc_count": 2},
            {"key": "country:RU\x1fRussia", "doc_count": 1},
        ]
    }
    found = es_compile.buckets(raw, size=2)
    assert [(b.value, b.label, b.count) for b in found] == [
        ("country:US", "USA", 5),
        ("org:nato", "NATO", 3),
    ]


def test_candidate_retrieval_folds_words_and_needs_one() -> None:
    assert es_compile.candidates_request(["", "!!"], 5) is None
    body = es_compile.candidates_request(["Genève", "talks"], 5)
    assert body is not None
    assert [c["multi_match"]["query"] for c in body["query"]["bool"]["should"]] == [
        "geneve",
        "talks",
    ]
    assert body["size"] == 5

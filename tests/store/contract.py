"""The Store contract: what a user of either backend can rely on, tested once for all backends.

A backend's test module subclasses :class:`StoreContract` and provides two fixtures:
``store_factory`` (opens a new handle onto one fresh, empty store, like another process would)
and ``unreachable_store`` (opens a handle onto a store that cannot be reached).
Articles are built by hand, so no NLP model is involved.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from indexer.errors import Conflict, InvalidQuery, NotFound, StoreUnavailable
from indexer.models import (
    Article,
    DateRef,
    Demand,
    Mention,
    Party,
    Place,
    Venue,
)
from indexer.store.base import PutResult, Store
from indexer.store.query import (
    FACETS,
    Cursor,
    SearchPage,
    SearchQuery,
    Sort,
    decode_cursor,
    encode_cursor,
)
from indexer.timefmt import now_iso

StoreFactory = Callable[[], Store]

PARTY_NAMES = {
    "usa": "United States",
    "rus": "Russia",
    "nato": "NATO",
    "ukr": "Ukraine",
    "osce": "OSCE",
}
VENUE_NAMES = {"geneva": "Geneva", "brussels": "Brussels", "vienna": "Vienna"}


def _mentions(text: str, needle: str) -> tuple[Mention, ...]:
    start = text.find(needle)
    return () if start < 0 else (Mention(start, start + len(needle), needle),)


def make_article(
    article_id: str,
    title: str,
    text: str,
    *,
    source: str | None = None,
    published_at: str | None = None,
    parties: Sequence[str] = (),
    venues: Sequence[str] = (),
    places: Sequence[str] = (),
    demands: Sequence[tuple[str, str | None]] = (),
) -> Article:
    """An article as the pipeline would store it, with offsets pointing into ``text``."""
    digest = hashlib.sha256(f"{title}\x1f{text}\x1f{source}\x1f{published_at}".encode())
    return Article(
        id=article_id,
        text=text,
        content_hash=digest.hexdigest(),
        extractor_version="contract-1",
        indexed_at=now_iso(),
        title=title,
        source=source,
        published_at=published_at,
        language="en",
        parties=tuple(
            Party(p, PARTY_NAMES[p], "country", _mentions(text, PARTY_NAMES[p])) for p in parties
        ),
        venues=tuple(
            Venue(v, VENUE_NAMES[v], mentions=_mentions(text, VENUE_NAMES[v])) for v in venues
        ),
        places=tuple(Place(p, p.title(), mentions=_mentions(text, p.title())) for p in places),
        demands=tuple(
            Demand(
                claimant=by,
                addressee=of,
                action="halt expansion",
                cue="demanded",
                stance="demand",
                sentence=Mention(0, len(text), text),
            )
            for by, of in demands
        ),
    )


def corpus() -> list[Article]:
    """Six articles whose facets, dates and words the tests below reason about."""
    return [
        make_article(
            "a1",
            "Talks in Geneva",
            "United States and Russia met in Geneva on Monday. "
            "Russia demanded that NATO halt its expansion.",
            source="Reuters",
            published_at="2022-01-10",
            parties=["usa", "rus", "nato"],
            venues=["geneva"],
            demands=[("rus", "nato")],
        ),
        make_article(
            "a2",
            "NATO allies meet in Brussels",
            "NATO and the United States discussed the proposals in Brussels.",
            source="AP",
            published_at="2022-01-12T23:30:00Z",
            parties=["nato", "usa"],
            venues=["brussels"],
            demands=[("nato", "rus")],  # rus is not among a2's parties: its label there is "rus"
        ),
        make_article(
            "a3",
            "OSCE council in Vienna",
            "Russia's delegation spoke at the OSCE in Vienna. Talks continued.",
            source="Reuters",
            published_at="2022-01-13T09:00:00Z",
            parties=["rus", "osce"],
            venues=["vienna"],
        ),
        make_article(
            "a4",
            "Ceasefire talks in Genève",
            "Ukraine and Russia discussed a ceasefire in Genève.",
            source="AP",
            parties=["ukr", "rus"],
            venues=["geneva"],
            demands=[("ukr", "rus")],
        ),
        make_article(
            "a5",
            "Aid for Kyiv",
            "Officials in Kyiv said the states of Europe stood united with Washington.",
            source="BBC",
            published_at="2022-02-01",
            parties=["usa", "ukr"],
            places=["kyiv"],
        ),
        make_article(
            "a6",
            "Not this or that",
            "Title x: foo and bar, or not? C++ (v2.0) costs $5 & 10% {braces} [brackets].",
            source="BBC",
            published_at="2022-02-01",
        ),
    ]


NEWEST = ["a5", "a6", "a3", "a2", "a1", "a4"]  # undated a4 last; equal dates by id
OLDEST = ["a1", "a2", "a3", "a5", "a6", "a4"]  # undated a4 last here too


def search(store: Store, **kwargs: Any) -> SearchPage:
    """Search with keyword arguments of SearchQuery; ``size`` defaults to everything.

    Search may lag writes by a refresh interval (Elasticsearch): like a user who searches a
    moment after posting, every search here first lets the writes become visible.
    """
    kwargs.setdefault("size", 100)
    store.refresh()
    return store.search_articles(SearchQuery(**kwargs))


def ids(page: SearchPage) -> list[str]:
    return [hit.id for hit in page.hits]


def counts(page: SearchPage, facet: str) -> list[tuple[str, int]]:
    return [(b.value, b.count) for b in page.facets[facet]]


def walk(store: Store, query: SearchQuery) -> list[SearchPage]:
    """Follow next_cursor from the first page to the last."""
    store.refresh()
    pages = [store.search_articles(query)]
    while pages[-1].next_cursor is not None:
        cursor = decode_cursor(pages[-1].next_cursor or "")
        pages.append(store.search_articles(_with_cursor(query, cursor)))
        assert len(pages) < 100, "cursor walk does not end"
    return pages


def _with_cursor(query: SearchQuery, cursor: Cursor) -> SearchQuery:
    return SearchQuery(
        q=query.q,
        filters=query.filters,
        date_from=query.date_from,
        date_to=query.date_to,
        sort=query.sort,
        size=query.size,
        facet_size=query.facet_size,
        cursor=cursor,
        duplicates=query.duplicates,
    )


def full_article() -> Article:
    """Every field and nested type filled, to prove a round trip loses nothing."""
    text = "Russia demanded in Geneva on 10 January 2022 that NATO not expand."
    return Article(
        id="full-1",
        text=text,
        content_hash="h-full",
        extractor_version="contract-1",
        indexed_at=now_iso(),
        title="Everything — with ünïcödé",
        url="https://example.org/a?x=1&y=2",
        source="Example Wire",
        published_at="2022-01-10T08:15:00+01:00",
        language="en",
        parties=(
            Party("rus", "Russia", "country", _mentions(text, "Russia"), ("claimant",), None),
            Party("nato", "NATO", "organization", _mentions(text, "NATO"), (), "alliance"),
        ),
        venues=(
            Venue(
                "geneva",
                "Geneva",
                "CH",
                46.2044,
                6.1432,
                "talks",
                "2022-01-10",
                _mentions(text, "Geneva"),
            ),
        ),
        places=(Place("ch", "Switzerland", "CH", 46.8, 8.23, ()),),
        dates=(DateRef("10 January 2022", 29, 44, "2022-01-10", "day", True, None),),
        demands=(
            Demand(
                "rus",
                "nato",
                "not expand",
                "demanded",
                "demand",
                Mention(0, len(text), text),
                negated=True,
            ),
        ),
        event_id="ev-1",
    )


class StoreContract:
    """Backend-independent behaviour of :class:`Store`; subclasses only supply fixtures."""

    @pytest.fixture
    def store(self, store_factory: StoreFactory) -> Iterator[Store]:
        store = store_factory()
        yield store
        store.close()

    @pytest.fixture
    def articles(self, store: Store) -> dict[str, Article]:
        stored = {}
        for article in corpus():
            assert store.put_article(article) is PutResult.CREATED
            stored[article.id] = article
        store.refresh()
        return stored

    # -- records ----------------------------------------------------------------------------

    def test_get_returns_exactly_what_was_put(self, store: Store) -> None:
        article = full_article()
        assert store.put_article(article) is PutResult.CREATED
        assert store.get_article(article.id) == article

    def test_put_of_the_same_content_is_unchanged(self, store: Store) -> None:
        article = corpus()[0]
        assert store.put_article(article) is PutResult.CREATED
        assert store.put_article(article) is PutResult.UNCHANGED
        assert store.count_articles() == 1

    def test_put_of_other_content_under_a_taken_id_conflicts(self, store: Store) -> None:
        original = corpus()[0]
        store.put_article(original)
        impostor = make_article("a1", "Something else", "Entirely different text.")
        with pytest.raises(Conflict):
            store.put_article(impostor)
        assert store.get_article("a1") == original

    def test_many_articles_are_put_in_one_call_with_an_answer_each(self, store: Store) -> None:
        first, second, third = corpus()[:3]
        assert store.put_article(first) is PutResult.CREATED
        impostor = make_article(second.id, "Other", "Different text.")
        store.put_article(impostor)
        results = store.put_articles([first, second, third])
        assert results[0] is PutResult.UNCHANGED
        assert isinstance(results[1], Conflict)
        assert results[2] is PutResult.CREATED
        assert store.get_article(third.id) == third
        assert store.get_article(second.id).title == "Other"
        assert store.put_articles([]) == []

    def test_hits_can_be_read_with_only_some_fields(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        page = search(store, fields=("title", "source"), sort="oldest")
        assert [hit["id"] for hit in page.hits] == OLDEST
        assert all(set(hit) == {"id", "title", "source"} for hit in page.hits)
        assert page.hits[0]["title"] == articles[OLDEST[0]].title
        with_demands = search(store, fields=("demands",))
        # A demand names its parties from the record's own, so those come along.
        assert all(set(hit) == {"id", "demands", "parties"} for hit in with_demands.hits)

    def test_concurrent_puts_of_one_article_create_it_once(
        self, store: Store, store_factory: StoreFactory
    ) -> None:
        article = corpus()[0]
        store.ping()  # the store exists; the handles below race only on the article
        handles = [store_factory() for _ in range(8)]
        barrier = threading.Barrier(len(handles))

        def put(handle: Store) -> PutResult:
            barrier.wait()
            return handle.put_article(article)

        try:
            with ThreadPoolExecutor(len(handles)) as pool:
                results = list(pool.map(put, handles))
        finally:
            for handle in handles:
                handle.close()
        assert results.count(PutResult.CREATED) == 1
        assert results.count(PutResult.UNCHANGED) == len(handles) - 1
        assert store.count_articles() == 1
        assert store.get_article(article.id) == article

    def test_concurrent_first_use_by_many_handles_works(self, store_factory: StoreFactory) -> None:
        """Like several server processes starting on one fresh store at the same moment."""
        articles = corpus()
        barrier = threading.Barrier(len(articles))

        def open_and_put(article: Article) -> PutResult:
            barrier.wait()
            handle = store_factory()
            try:
                return handle.put_article(article)
            finally:
                handle.close()

        with ThreadPoolExecutor(len(articles)) as pool:
            results = list(pool.map(open_and_put, articles))
        assert results == [PutResult.CREATED] * len(articles)
        check = store_factory()
        try:
            assert check.count_articles() == len(articles)
        finally:
            check.close()

    def test_deleted_article_is_gone(self, store: Store, articles: dict[str, Article]) -> None:
        store.delete_article("a1")
        with pytest.raises(NotFound):
            store.get_article("a1")
        assert store.count_articles() == len(articles) - 1
        page = search(store)
        assert "a1" not in ids(page)
        assert ("geneva", 1) in counts(page, "venue")
        assert store.put_article(articles["a1"]) is PutResult.CREATED

    def test_missing_ids_are_not_found(self, store: Store, articles: dict[str, Article]) -> None:
        for missing in ("nope", "A1", "a1 ", "../a1", "a/1", "ü"):
            with pytest.raises(NotFound):
                store.get_article(missing)
            with pytest.raises(NotFound):
                store.delete_article(missing)
        assert store.count_articles() == len(articles)

    def test_count_articles(self, store: Store) -> None:
        assert store.count_articles() == 0
        for n, article in enumerate(corpus(), start=1):
            store.put_article(article)
            assert store.count_articles() == n

    def test_unreachable_store_raises_store_unavailable(
        self, unreachable_store: StoreFactory
    ) -> None:
        operations: list[Callable[[Store], object]] = [
            lambda s: s.ping(),
            lambda s: s.put_article(corpus()[0]),
            lambda s: s.get_article("a1"),
            lambda s: s.delete_article("a1"),
            lambda s: s.count_articles(),
            lambda s: s.search_articles(SearchQuery(q="russia")),
        ]
        for operation in operations:
            with pytest.raises(StoreUnavailable):
                handle = unreachable_store()
                try:
                    operation(handle)
                finally:
                    handle.close()

    # -- free text --------------------------------------------------------------------------

    def test_empty_store_search(self, store: Store) -> None:
        page = search(store, q="anything")
        assert (page.hits, page.total, page.next_cursor) == ([], 0, None)
        assert set(page.facets) == set(FACETS)
        assert all(buckets == [] for buckets in page.facets.values())

    def test_all_words_must_match(self, store: Store, articles: dict[str, Article]) -> None:
        assert sorted(ids(search(store, q="russia"))) == ["a1", "a3", "a4"]
        assert ids(search(store, q="Russia Geneva")) == ["a1"]
        assert sorted(ids(search(store, q="united states"))) == ["a1", "a2", "a5"]
        assert ids(search(store, q="russia brussels")) == []

    def test_words_match_in_title_or_text(self, store: Store, articles: dict[str, Article]) -> None:
        # "allies" is only in a2's title, "proposals" only in its text.
        assert ids(search(store, q="allies proposals")) == ["a2"]

    def test_quoted_phrase_must_match_in_order(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        assert sorted(ids(search(store, q='"united states"'))) == ["a1", "a2"]
        assert ids(search(store, q='"states united"')) == []
        assert ids(search(store, q='"russia met in geneva" monday')) == ["a1"]

    def test_words_split_at_punctuation_and_ignore_case_and_accents(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        assert "a3" in ids(search(store, q="russia"))  # written "Russia's"
        assert ids(search(store, q="geneve")) == ["a4"]  # written "Genève"
        assert ids(search(store, q="GENÈVE")) == ["a4"]
        assert ids(search(store, q="c v2 0")) == ["a6"]  # written "C++ (v2.0)"

    def test_search_syntax_is_plain_text(self, store: Store, articles: dict[str, Article]) -> None:
        hostile = '"AND OR NOT ( ) * : ^ ~ \\ / [ ] { } title:x -foo +bar'
        assert ids(search(store, q=hostile)) == ["a6"]
        for q in ["*", '"', '""', "\\", "(", ")", "-", "+", "?", "~1", "AND", "title:", "a6 OR"]:
            page = search(store, q=q)  # never raises
            assert set(ids(page)) <= set(articles), q
        assert ids(search(store, q="*")) == NEWEST  # no words: everything, newest first
        assert ids(search(store, q="NOT foo")) == ["a6"]  # "not" is a word, not an operator
        assert ids(search(store, q="braces brackets 10")) == ["a6"]

    def test_relevance_ranks_the_article_about_the_words_first(self, store: Store) -> None:
        for n in range(4):
            store.put_article(make_article(f"r-other{n}", "Other news", f"Nothing here {n}."))
        filler = " ".join(f"word{n}" for n in range(60))
        store.put_article(make_article("r-passing", "Weekly digest", f"{filler} ceasefire."))
        store.put_article(
            make_article("r-about", "Ceasefire agreed", "The ceasefire holds. Ceasefire talks.")
        )
        assert ids(search(store, q="ceasefire")) == ["r-about", "r-passing"]

    # -- facets -----------------------------------------------------------------------------

    def test_facet_counts_order_and_labels(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        page = search(store)
        assert page.total == 6
        assert counts(page, "party") == [
            ("rus", 3),
            ("usa", 3),
            ("nato", 2),
            ("ukr", 2),
            ("osce", 1),
        ]
        assert [b.label for b in page.facets["party"]] == [
            "Russia",
            "United States",
            "NATO",
            "Ukraine",
            "OSCE",
        ]
        assert counts(page, "venue") == [("geneva", 2), ("brussels", 1), ("vienna", 1)]
        assert counts(page, "place") == [("kyiv", 1)]
        assert counts(page, "source") == [("AP", 2), ("BBC", 2), ("Reuters", 2)]
        assert counts(page, "month") == [("2022-01", 3), ("2022-02", 2)]
        assert counts(page, "demand_by") == [("nato", 1), ("rus", 1), ("ukr", 1)]
        assert counts(page, "demand_of") == [("rus", 2), ("nato", 1)]
        # a2 labels rus "rus" (not among its parties), a4 "Russia": the smallest label wins.
        assert page.facets["demand_of"][0].label == "Russia"

    def test_facet_size_keeps_the_top_values(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        page = search(store, facet_size=2)
        assert counts(page, "party") == [("rus", 3), ("usa", 3)]
        assert counts(page, "venue") == [("geneva", 2), ("brussels", 1)]

    def test_facet_counts_follow_the_text_query(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        page = search(store, q="russia")
        assert counts(page, "party") == [
            ("rus", 3),
            ("nato", 1),
            ("osce", 1),
            ("ukr", 1),
            ("usa", 1),
        ]

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"party": ("usa",)}, ["a1", "a2", "a5"]),
            ({"venue": ("geneva",)}, ["a1", "a4"]),
            ({"place": ("kyiv",)}, ["a5"]),
            ({"source": ("Reuters",)}, ["a1", "a3"]),
            ({"month": ("2022-02",)}, ["a5", "a6"]),
            ({"demand_by": ("rus",)}, ["a1"]),
            ({"demand_of": ("rus",)}, ["a2", "a4"]),
            ({"party": ("osce", "ukr")}, ["a3", "a4", "a5"]),  # OR within a facet
            ({"party": ("rus",), "venue": ("geneva",)}, ["a1", "a4"]),  # AND across facets
            ({"party": ("rus",), "venue": ("geneva",), "source": ("AP",)}, ["a4"]),
            ({"party": ("nobody",)}, []),
            ({"party": ("usa",), "venue": ()}, ["a1", "a2", "a5"]),  # an empty selection is none
        ],
    )
    def test_facet_filters(
        self,
        store: Store,
        articles: dict[str, Article],
        filters: dict[str, tuple[str, ...]],
        expected: list[str],
    ) -> None:
        page = search(store, filters=filters)
        assert sorted(ids(page)) == expected
        assert page.total == len(expected)

    def test_facet_counts_ignore_their_own_selection(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        page = search(store, filters={"party": ("usa",)})
        assert sorted(ids(page)) == ["a1", "a2", "a5"]
        # The party facet still offers the other parties, with counts as if none was chosen...
        assert counts(page, "party") == counts(search(store), "party")
        # ...while every other facet counts only what the party selection leaves.
        assert counts(page, "venue") == [("brussels", 1), ("geneva", 1)]
        assert counts(page, "source") == [("AP", 1), ("BBC", 1), ("Reuters", 1)]

    def test_facet_counts_apply_the_other_facets_selections(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        page = search(store, filters={"party": ("usa",), "venue": ("geneva",)})
        assert ids(page) == ["a1"]
        assert counts(page, "party") == [("rus", 2), ("nato", 1), ("ukr", 1), ("usa", 1)]
        assert counts(page, "venue") == [("brussels", 1), ("geneva", 1)]
        assert counts(page, "source") == [("Reuters", 1)]

    def test_copies_are_found_unless_excluded(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        before = search(store)
        copy = replace(articles["a2"], id="copy-1", content_hash="h-copy", source="Reprints",
                       duplicate_of="a2")
        assert store.put_article(copy) is PutResult.CREATED
        assert store.get_article("copy-1").duplicate_of == "a2"
        assert "copy-1" in ids(search(store))
        assert "copy-1" in ids(search(store, duplicates="include"))
        once = search(store, duplicates="exclude")
        assert sorted(ids(once)) == sorted(articles) and once.total == len(articles)
        for facet in FACETS:  # a copy adds nothing to any count
            assert counts(once, facet) == counts(before, facet)
        texts = search(store, q=copy.title, duplicates="exclude", filters={"party": ("usa",)})
        assert "copy-1" not in ids(texts) and "a2" in ids(texts)
        walked = walk(store, SearchQuery(size=2, duplicates="exclude", sort="oldest"))
        assert sorted(i for page in walked for i in ids(page)) == sorted(articles)
        with pytest.raises(InvalidQuery):  # a cursor of one is not a cursor of the other
            store.search_articles(_with_cursor(
                SearchQuery(size=2, sort="oldest"),
                decode_cursor(walked[0].next_cursor or "")))

    # -- dates ------------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("date_from", "date_to", "expected"),
        [
            ("2022-01-12", None, ["a2", "a3", "a5", "a6"]),  # a2 at 23:30 on the 12th
            (None, "2022-01-12", ["a1", "a2"]),  # the whole last day is included
            ("2022-01-12", "2022-01-12", ["a2"]),
            ("2022-01-10", "2022-01-10", ["a1"]),  # a date-only value is that day
            ("2022-01-14", "2022-01-31", []),
            (None, "2030-12-31", ["a1", "a2", "a3", "a5", "a6"]),  # undated a4 never matches
        ],
    )
    def test_date_range_is_inclusive(
        self,
        store: Store,
        articles: dict[str, Article],
        date_from: str | None,
        date_to: str | None,
        expected: list[str],
    ) -> None:
        page = search(store, date_from=date_from, date_to=date_to)
        assert sorted(ids(page)) == expected

    def test_dates_compare_in_utc(self, store: Store) -> None:
        # 01:00 on 1 March in UTC+2 is 23:00 on 28 February in UTC.
        store.put_article(
            make_article("tz", "Late", "Late night.", published_at="2022-03-01T01:00:00+02:00")
        )
        assert ids(search(store, date_to="2022-02-28")) == ["tz"]
        assert ids(search(store, date_from="2022-03-01")) == []
        assert counts(search(store), "month") == [("2022-02", 1)]

    # -- sorting and cursors ----------------------------------------------------------------

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [(None, NEWEST), ("newest", NEWEST), ("oldest", OLDEST), ("relevance", NEWEST)],
    )
    def test_sort_orders(
        self,
        store: Store,
        articles: dict[str, Article],
        sort: Sort | None,
        expected: list[str],
    ) -> None:
        assert ids(search(store, sort=sort)) == expected  # relevance without words: newest

    def test_date_sorts_apply_to_text_searches(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        assert ids(search(store, q="russia", sort="newest")) == ["a3", "a1", "a4"]
        assert ids(search(store, q="russia", sort="oldest")) == ["a1", "a3", "a4"]

    @pytest.mark.parametrize(
        ("q", "sort", "size"),
        [
            (None, "newest", 2),
            (None, "oldest", 4),
            (None, "newest", 1),
            ("in", "relevance", 2),  # five matches, some with equal scores
            ("in", None, 3),
        ],
    )
    def test_cursor_walk_returns_every_match_once_in_order(
        self,
        store: Store,
        articles: dict[str, Article],
        q: str | None,
        sort: Sort | None,
        size: int,
    ) -> None:
        everything = ids(search(store, q=q, sort=sort))
        pages = walk(store, SearchQuery(q=q, sort=sort, size=size))
        assert [hit for page in pages for hit in ids(page)] == everything
        assert all(len(page.hits) == size for page in pages[:-1])
        assert all(page.total == len(everything) for page in pages)
        assert len(pages) == -(-len(everything) // size)

    def test_cursor_walk_is_stable_while_articles_arrive(
        self, store: Store, articles: dict[str, Article]
    ) -> None:
        query = SearchQuery(sort="newest", size=2)
        first = store.search_articles(query)
        assert ids(first) == NEWEST[:2]
        time.sleep(0.002)  # arrivals are indexed strictly after the walk's snapshot
        store.put_article(make_article("n-new", "Newest", "Fresh.", published_at="2023-01-01"))
        store.put_article(make_article("n-old", "Oldest", "Stale.", published_at="2021-01-01"))
        store.put_article(make_article("n-undated", "Undated", "Timeless."))
        store.refresh()  # visible to search, yet outside the walk begun before they arrived
        seen = list(ids(first))
        cursor = first.next_cursor
        while cursor is not None:
            page = store.search_articles(_with_cursor(query, decode_cursor(cursor)))
            assert page.total == 6
            seen += ids(page)
            cursor = page.next_cursor
        assert seen == NEWEST
        fresh = search(store, sort="newest")
        assert ids(fresh) == ["n-new", *NEWEST[:-1], "n-old", "a4", "n-undated"]

    def test_last_page_has_no_cursor(self, store: Store, articles: dict[str, Article]) -> None:
        assert search(store, size=6).next_cursor is None
        assert search(store, size=5).next_cursor is not None

    @pytest.mark.parametrize(
        "other",
        [
            {"q": "russia"},
            {"q": "in", "filters": {"party": ("usa",)}},
            {"q": "in", "sort": "oldest"},
            {"q": "in", "date_from": "2022-01-01"},
        ],
    )
    def test_cursor_from_another_search_is_rejected(
        self, store: Store, articles: dict[str, Article], other: dict[str, Any]
    ) -> None:
        token = search(store, q="in", size=2).next_cursor
        assert token is not None
        with pytest.raises(InvalidQuery):
            search(store, size=2, cursor=decode_cursor(token), **other)

    @pytest.mark.parametrize(
        "token",
        ["", "garbage", "!!!", "eyJzIjoibmV3ZXN0In0", encode_cursor(Cursor("x", (1, "a"), 1, "h"))],
    )
    def test_malformed_cursor_is_rejected(self, token: str) -> None:
        with pytest.raises(InvalidQuery):
            decode_cursor(token)

    @pytest.mark.parametrize(
        "after", [(123, 456), (1.5, "a1"), ("zzz", ""), ("", "zzz"), ("\x00", "\uffff")]
    )
    def test_tampered_cursor_never_breaks_the_store(
        self, store: Store, articles: dict[str, Article], after: tuple[Any, Any]
    ) -> None:
        query = SearchQuery(sort="newest", size=2)
        tampered = Cursor("newest", after, query.snapshot_us(), query.fingerprint())
        try:
            page = store.search_articles(
                _with_cursor(query, decode_cursor(encode_cursor(tampered)))
            )
        except InvalidQuery:
            return
        assert set(ids(page)) <= set(articles)

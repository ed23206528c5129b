"""The event half of the Store contract, shared by every backend (hand-built articles, no NLP).

Backend test classes mix this in next to ``StoreContract``; it uses their ``store_factory``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from indexer.errors import Conflict, Moved, NotFound
from indexer.events.merge import merge_event
from indexer.ingest import Indexer
from indexer.models import (
    Article,
    ArticleInput,
    Event,
    Extraction,
    Mention,
    Party,
    Venue,
)
from indexer.store.base import Store
from indexer.store.query import EVENT_FACETS, SearchQuery
from indexer.timefmt import now_iso

StoreFactory = Callable[[], Store]

GENEVA_TALKS = [
    "US and Russian negotiators held crisis talks in Geneva on Monday about Ukraine, "
    f"the border troops and NATO expansion; report number {n}."
    for n in range(6)
]
QUAKE = "A strong earthquake struck central Chile on Sunday, collapsing houses in Talca."


def _extract(item: ArticleInput) -> Extraction:
    """Deterministic stand-in for the NLP pipeline: names found by string search."""
    text = item.text
    names = {
        "Russia": ("country:RU", "Russia", "country"),
        "US": ("country:US", "United States", "country"),
        "NATO": ("org:nato", "NATO", "organization"),
        "Chile": ("country:CL", "Chile", "country"),
    }
    parties = tuple(
        Party(pid, name, kind, (Mention(text.index(key), text.index(key) + len(key), key),))  # type: ignore[arg-type]
        for key, (pid, name, kind) in names.items()
        if key in text
    )
    venues = ()
    if "Geneva" in text:
        at = text.index("Geneva")
        venues = (
            Venue("place:geneva-ch", "Geneva", "CH", what="crisis talks", date="2022-01-10",
                  mentions=(Mention(at, at + 6, "Geneva"),)),
        )
    return Extraction(text=text, parties=parties, venues=venues)


def _slowed(method: Callable[..., list[Event]]) -> Callable[..., list[Event]]:
    def slow(*args: object) -> list[Event]:
        found = method(*args)
        time.sleep(0.3)
        return found

    return slow


class EventStoreContract:
    """Events: compare-and-set writes, redirects, candidates, search, and racing ingests."""

    @pytest.fixture
    def events_store(self, store_factory: StoreFactory) -> Iterator[Store]:
        store = store_factory()
        yield store
        store.close()

    def _indexer(self, store: Store) -> Indexer:
        return Indexer(store, _extract, "contract")

    def _ingest(self, store: Store, text: str, source: str = "wire") -> Article:
        article = self._indexer(store).ingest(
            ArticleInput(text=text, source=source, published_at="2022-01-11")
        ).article
        store.refresh()  # what a user searching a moment later would see
        return article

    def test_articles_about_one_happening_share_an_event(self, events_store: Store) -> None:
        first = self._ingest(events_store, GENEVA_TALKS[0], "a")
        second = self._ingest(events_store, GENEVA_TALKS[1], "b")
        quake = self._ingest(events_store, QUAKE, "c")
        assert first.event_id and first.event_id == second.event_id
        assert quake.event_id not in (None, first.event_id)
        event, _ = events_store.get_event(first.event_id)
        assert set(event.articles) == {first.id, second.id}
        assert event.sources == ("a", "b")
        assert events_store.get_article(second.id).event_id == first.event_id
        members = events_store.articles_of_event(first.event_id)
        assert [a.id for a in members] == [first.id, second.id]

    def test_event_writes_are_compare_and_set(self, events_store: Store) -> None:
        article = self._ingest(events_store, QUAKE)
        assert article.event_id is not None
        event, version = events_store.get_event(article.event_id)
        newer = events_store.put_event(event, version=version, text="quake")
        assert newer != version
        with pytest.raises(Conflict):
            events_store.put_event(event, version=version, text="stale write")
        with pytest.raises(Conflict):
            events_store.put_event(event, version=None, text="second create")
        with pytest.raises(NotFound):
            events_store.get_event("e-missing")

    def test_merged_event_redirects_and_leaves_search(self, events_store: Store) -> None:
        keep = self._ingest(events_store, GENEVA_TALKS[0])
        gone = self._ingest(events_store, QUAKE)
        assert keep.event_id and gone.event_id and keep.event_id != gone.event_id
        _, version = events_store.get_event(gone.event_id)
        events_store.retire_event(gone.event_id, keep.event_id, version=version)
        with pytest.raises(Moved) as moved:
            events_store.get_event(gone.event_id)
        assert moved.value.new_id == keep.event_id
        events_store.refresh()
        found = events_store.search_events(SearchQuery(facets=EVENT_FACETS))
        assert [e.id for e in found.hits] == [keep.event_id]

    def test_candidates_are_found_by_words(self, events_store: Store) -> None:
        talks = self._ingest(events_store, GENEVA_TALKS[0])
        self._ingest(events_store, QUAKE)
        found = events_store.candidate_events(["geneva", "negotiators"], 5)
        assert [e.id for e in found] == [talks.event_id]
        assert events_store.candidate_events(["zzzunknownword"], 5) == []
        assert events_store.candidate_events(['"', "OR", "*"], 5) is not None

    def test_retired_and_deleted_events_are_never_candidates(self, events_store: Store) -> None:
        talks = self._ingest(events_store, GENEVA_TALKS[0])
        quake = self._ingest(events_store, QUAKE)
        assert talks.event_id and quake.event_id
        events_store.refresh()
        assert [e.id for e in events_store.candidate_events(["earthquake"], 5)] == [quake.event_id]
        _, version = events_store.get_event(quake.event_id)
        events_store.retire_event(quake.event_id, talks.event_id, version=version)
        events_store.refresh()
        assert events_store.candidate_events(["earthquake"], 5) == []
        _, version = events_store.get_event(talks.event_id)
        events_store.delete_event(talks.event_id, version=version)
        events_store.refresh()
        assert events_store.candidate_events(["geneva", "negotiators"], 5) == []

    def test_event_search_has_facets_and_filters(self, events_store: Store) -> None:
        self._ingest(events_store, GENEVA_TALKS[0], "a")
        self._ingest(events_store, GENEVA_TALKS[1], "b")
        self._ingest(events_store, QUAKE, "c")
        everything = events_store.search_events(SearchQuery(facets=EVENT_FACETS))
        assert everything.total == 2
        parties = {b.value: b.count for b in everything.facets["party"]}
        assert parties["country:RU"] == 1 and parties["country:CL"] == 1
        assert {b.value for b in everything.facets["venue"]} == {"place:geneva-ch"}
        chile = events_store.search_events(
            SearchQuery(facets=EVENT_FACETS, filters={"party": ("country:CL",)})
        )
        assert [len(e.articles) for e in chile.hits] == [1]
        by_day = events_store.search_events(
            SearchQuery(facets=EVENT_FACETS, date_from="2022-01-10", date_to="2022-01-10")
        )
        assert [e.venue.name if e.venue else None for e in by_day.hits] == ["Geneva"]
        words = events_store.search_events(SearchQuery(q="earthquake", facets=EVENT_FACETS))
        assert words.total == 1

    def test_articles_of_an_event_are_searchable_by_event(self, events_store: Store) -> None:
        first = self._ingest(events_store, GENEVA_TALKS[0])
        self._ingest(events_store, GENEVA_TALKS[1])
        self._ingest(events_store, QUAKE)
        page = events_store.search_articles(SearchQuery(event_id=first.event_id))
        assert page.total == 2

    def test_deleting_articles_updates_then_drops_the_event(self, events_store: Store) -> None:
        indexer = self._indexer(events_store)
        first = self._ingest(events_store, GENEVA_TALKS[0])
        second = self._ingest(events_store, GENEVA_TALKS[1])
        assert first.event_id is not None
        indexer.delete(second.id)
        event, _ = events_store.get_event(first.event_id)
        assert event.articles == (first.id,)
        indexer.delete(first.id)
        with pytest.raises(NotFound):
            events_store.get_event(first.event_id)

    def test_racing_ingests_of_one_event_end_in_one_event(
        self, store_factory: StoreFactory
    ) -> None:
        """Separate store instances (as separate processes have) ingest at the same moment.

        Candidate retrieval is slowed down so that, without the assignment lock, every
        thread would look before any has written and each would found its own event.
        """
        stores = [store_factory() for _ in GENEVA_TALKS]
        for store in stores:
            store.candidate_events = _slowed(store.candidate_events)  # type: ignore[method-assign]
        start = threading.Barrier(len(stores))
        results: dict[int, Article] = {}
        errors: list[BaseException] = []

        def ingest(n: int) -> None:
            try:
                start.wait(timeout=30)
                results[n] = self._ingest(stores[n], GENEVA_TALKS[n], f"s{n}")
            except BaseException as exc:  # reported below, with the thread's cause
                errors.append(exc)

        threads = [threading.Thread(target=ingest, args=(n,)) for n in range(len(stores))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        event_ids = {a.event_id for a in results.values()}
        assert len(event_ids) == 1, f"racing ingests split into events {event_ids}"
        (event_id,) = event_ids
        assert event_id is not None
        event, _ = stores[0].get_event(event_id)
        assert sorted(event.articles) == sorted(a.id for a in results.values())
        for store in stores:
            store.close()

    def test_an_article_matching_two_events_folds_them_into_one(
        self, events_store: Store
    ) -> None:
        """Seed two separate events, then an article matching both merges them."""
        now = now_iso()
        seeds = []
        for n, text in enumerate(GENEVA_TALKS[:2]):
            article = Indexer(events_store, _extract, "c").ingest(
                ArticleInput(text=text, source=f"s{n}", id=f"seed-{n}")
            ).article
            seeds.append(article)
        # Split them by force: give the second article its own event.
        assert seeds[0].event_id == seeds[1].event_id
        event, version = events_store.get_event(seeds[0].event_id or "")
        alone = events_store.get_article("seed-0")
        events_store.put_event(
            merge_event(event.id, [alone], first_seen=event.first_seen, last_updated=now,
                        signature=event.signature),
            version=version,
            text=alone.text,
        )
        other = events_store.get_article("seed-1")
        split = merge_event("e-split", [other], first_seen=now, last_updated=now,
                            signature=event.signature)
        events_store.put_event(split, version=None, text=other.text)
        events_store.set_article_event(
            "seed-1", "e-split", version=events_store.get_article_versioned("seed-1")[1]
        )

        third = self._ingest(events_store, GENEVA_TALKS[2])
        survivor, _ = events_store.get_event(third.event_id or "")
        assert set(survivor.articles) == {"seed-0", "seed-1", third.id}
        assert "e-split" in survivor.merged_from or survivor.id == "e-split"
        loser = "e-split" if survivor.id != "e-split" else event.id
        with pytest.raises(Moved):
            events_store.get_event(loser)

    def test_reposting_an_article_whose_old_event_id_redirects_gets_a_new_event(
        self, events_store: Store
    ) -> None:
        """Deleted, then posted again after its event id became a redirect: still assigned."""
        indexer = self._indexer(events_store)
        quake = indexer.ingest(ArticleInput(text=QUAKE, source="a")).article
        talks = indexer.ingest(ArticleInput(text=GENEVA_TALKS[0], source="b")).article
        assert quake.event_id and talks.event_id
        indexer.delete(quake.id)
        events_store.add_redirect(quake.event_id, talks.event_id)
        again = indexer.ingest(ArticleInput(text=QUAKE, source="a")).article
        assert again.event_id not in (None, quake.event_id, talks.event_id)
        event, _ = events_store.get_event(again.event_id or "")
        assert event.articles == (again.id,)

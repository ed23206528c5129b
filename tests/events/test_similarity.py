"""Event assignment on hand-built articles: same happening merges, same topic does not."""

from __future__ import annotations

import json

from indexer.events.similarity import (
    THRESHOLD,
    Signature,
    choose,
    combine,
    retrieval_terms,
    signature,
    similarity,
)
from indexer.models import Article, DateRef, Party, Place, Venue

US = Party("country:US", "United States", "country")
RU = Party("country:RU", "Russia", "country")
SHERMAN = Party("person:wendy-sherman", "Wendy Sherman", "person")
RYABKOV = Party("person:sergei-ryabkov", "Sergei Ryabkov", "person")
CALIFORNIA = Place("place:california-us", "California", "US")


def article(
    text: str,
    *,
    published: str | None = None,
    parties: tuple[Party, ...] = (),
    venues: tuple[Venue, ...] = (),
    places: tuple[Place, ...] = (),
    dates: tuple[DateRef, ...] = (),
    title: str | None = None,
) -> Article:
    return Article(
        id=str(abs(hash(text))), text=text, content_hash="x", extractor_version="test",
        indexed_at="2024-01-01T00:00:00Z", title=title, published_at=published,
        parties=parties, venues=venues, places=places, dates=dates,
    )


def day(value: str) -> DateRef:
    return DateRef(text=value, start=0, end=1, value=value, granularity="day", resolved=True)


def geneva(when: str) -> Venue:
    return Venue("venue:geneva-ch", "Geneva", "CH", what="talks", date=when)


TALKS_A = article(
    "US and Russian officials held nearly eight hours of talks in Geneva on Monday over "
    "Moscow's troop build-up near Ukraine. Deputy Secretary of State Wendy Sherman said the "
    "United States would not accept Russian demands to bar Ukraine from joining NATO. "
    "Deputy Foreign Minister Sergei Ryabkov said Moscow had no plans to invade.",
    published="2022-01-10", parties=(US, RU, SHERMAN, RYABKOV), venues=(geneva("2022-01-10"),),
    dates=(day("2022-01-10"),), title="US, Russia hold Geneva talks on Ukraine tensions",
)
TALKS_B = article(
    "Russia and the United States ended eight-hour security talks in Geneva without a "
    "breakthrough. Ryabkov told reporters that Russia had no intention of attacking Ukraine, "
    "while Sherman called the Ukraine discussion frank and forthright and rejected the "
    "demand to halt NATO expansion. Further meetings follow in Brussels and Vienna this week.",
    published="2022-01-11", parties=(US, RU, SHERMAN, RYABKOV), venues=(geneva("2022-01-10"),),
    dates=(day("2022-01-10"),), title="Geneva talks end without breakthrough",
)
TALKS_LATER = article(
    "US and Russian diplomats met again in Geneva on Tuesday for strategic stability talks. "
    "Wendy Sherman and Sergei Ryabkov discussed arms control and the future of the New START "
    "treaty, and said the two delegations would meet again in September.",
    published="2022-07-19", parties=(US, RU, SHERMAN, RYABKOV), venues=(geneva("2022-07-19"),),
    dates=(day("2022-07-19"),), title="US and Russia resume Geneva talks",
)
NAPA = article(
    "A magnitude 6.0 earthquake struck near Napa, California early Sunday, injuring more than "
    "120 people and damaging historic buildings. The quake was the strongest in the San "
    "Francisco Bay Area since 1989, the U.S. Geological Survey said.",
    published="2014-08-24", places=(CALIFORNIA, Place("place:napa-us", "Napa", "US")),
    dates=(day("2014-08-24"),), title="Strong earthquake hits Napa Valley",
)
NAPA_B = article(
    "Residents of Napa cleaned up on Sunday after a 6.0 magnitude quake shook the wine "
    "country north of San Francisco, injuring 120 people. Geologists at the U.S. Geological "
    "Survey warned of aftershocks in the Bay Area.",
    published="2014-08-24", places=(CALIFORNIA, Place("place:napa-us", "Napa", "US")),
    dates=(day("2014-08-24"),), title="Napa cleans up after earthquake",
)
LA_HABRA = article(
    "A magnitude 5.1 earthquake struck near La Habra, California on Friday night, rattling "
    "Los Angeles and Orange County. Dozens of aftershocks followed, the U.S. Geological "
    "Survey said; minor damage was reported.",
    published="2014-03-28", places=(CALIFORNIA, Place("place:la-habra-us", "La Habra", "US")),
    dates=(day("2014-03-28"),), title="Earthquake rattles Southern California",
)


def test_same_event_from_two_sources_merges() -> None:
    event = signature(TALKS_A)
    assert similarity(signature(TALKS_B), event) >= THRESHOLD
    assert choose(signature(TALKS_B), [("evt-geneva", event)]) == "evt-geneva"


def test_same_parties_months_apart_are_different_events() -> None:
    event = combine(signature(TALKS_A), signature(TALKS_B))
    assert similarity(signature(TALKS_LATER), event) < THRESHOLD
    assert choose(signature(TALKS_LATER), [("evt-geneva", event)]) is None


def test_two_earthquakes_in_one_region_are_different_events() -> None:
    assert choose(signature(NAPA_B), [("evt-napa", signature(NAPA))]) == "evt-napa"
    assert choose(signature(LA_HABRA), [("evt-napa", signature(NAPA))]) is None


def test_undated_earthquakes_are_told_apart_by_their_details() -> None:
    """ECB+-like input: no publication date, so names and figures must separate them."""
    napa, habra = (article(a.text, places=a.places) for a in (NAPA, LA_HABRA))
    napa_b = article(NAPA_B.text, places=NAPA_B.places)
    assert similarity(signature(habra), signature(napa)) < similarity(
        signature(napa_b), signature(napa))
    assert choose(signature(habra), [("evt-napa", signature(napa))]) is None


def test_choose_is_deterministic_and_breaks_ties_by_id() -> None:
    sig = signature(TALKS_A)
    candidates = [("evt-b", sig), ("evt-a", sig), ("evt-c", signature(NAPA))]
    first = choose(signature(TALKS_B), candidates)
    assert first == "evt-a"
    assert choose(signature(TALKS_B), list(reversed(candidates))) == first
    assert choose(signature(TALKS_B), []) is None


def test_signature_round_trips_through_json_and_stays_small() -> None:
    event = combine(combine(signature(TALKS_A), signature(TALKS_B)), signature(TALKS_LATER))
    data = json.loads(json.dumps(event.to_dict()))
    back = Signature.from_dict(data)
    assert back.to_dict() == event.to_dict()
    assert back.count == 3
    assert len(json.dumps(data)) < 8192
    assert similarity(signature(TALKS_A), back) == similarity(signature(TALKS_A), event)


def test_combine_does_not_depend_on_arrival_order() -> None:
    a, b, c = signature(TALKS_A), signature(TALKS_B), signature(TALKS_LATER)
    assert combine(combine(a, b), c).to_dict() == combine(combine(a, c), b).to_dict()


def test_retrieval_terms_prefer_names_over_common_words() -> None:
    words = retrieval_terms(TALKS_A, limit=10)
    assert "ryabkov" in words and "geneva" in words
    assert not {"the", "said", "and"} & set(words)
    assert len(retrieval_terms(TALKS_A, limit=5)) == 5

"""Event assignment on hand-built articles: same happening merges, same topic does not."""

from __future__ import annotations

import json

from indexer.events.similarity import (
    DAYS_APART,
    SAME_DAY,
    THRESHOLD,
    Signature,
    choose,
    combine,
    date_adjustment,
    retrieval_terms,
    signature,
    similarity,
    when_gap,
    who_conflict,
)
from indexer.models import Article, DateRef, Party, Place, Venue
from tests.events import builders

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


# --- one happening, one event ------------------------------------------------------------

def _talks(aid: str, text: str, *, published: str | None, venue: tuple[str, str, str, str | None],
           dates: list[tuple[str, str | None, str | None]], people: list[str]) -> Article:
    return builders.article(aid, text, published=published, venues=[venue], dates=dates,
                            people=people, orgs=["NATO"])


GENEVA_V = ("Geneva", "place:geneva-ch", "crisis talks", "2022-01-10")
BRUSSELS_V = ("Brussels", "place:brussels-be", "NATO-Russia Council meeting", "2022-01-12")
STORY_PEOPLE = ["Wendy Sherman", "Sergei Ryabkov"]
GENEVA_1 = _talks(
    "g1", "US and Russian diplomats held crisis talks in Geneva on Monday over Ukraine. Wendy "
    "Sherman and Sergei Ryabkov talked for eight hours about NATO and security in Europe.",
    published="2022-01-10", venue=GENEVA_V, dates=[("Monday", "2022-01-10", "hold")],
    people=STORY_PEOPLE)
GENEVA_2 = _talks(
    "g2", "Crisis talks in Geneva between the US and Russia ended on Monday without a "
    "breakthrough on Ukraine. Wendy Sherman and Sergei Ryabkov gave news conferences on NATO.",
    published="2022-01-11", venue=GENEVA_V, dates=[("Monday", "2022-01-10", "end")],
    people=STORY_PEOPLE)
BRUSSELS_1 = _talks(
    "b1", "NATO allies and Russia met in Brussels on Wednesday at the NATO-Russia Council, "
    "the second round of this week's diplomacy over Ukraine. Wendy Sherman sat in for the "
    "United States; Sergei Ryabkov's deputy led the Russian side.",
    published="2022-01-12", venue=BRUSSELS_V, dates=[("Wednesday", "2022-01-12", "meet")],
    people=STORY_PEOPLE)


def test_the_next_meeting_of_a_running_story_is_another_event() -> None:
    """Same people, same subject, two days later at another venue: not the same happening."""
    event = combine(signature(GENEVA_1), signature(GENEVA_2))
    assert choose(signature(GENEVA_2), [("e", signature(GENEVA_1))]) == "e"
    assert similarity(signature(BRUSSELS_1), event) < THRESHOLD
    assert similarity(signature(BRUSSELS_1), event) < similarity(signature(GENEVA_2),
                                                                 signature(GENEVA_1)) / 2


def test_happening_days_more_than_two_days_apart_are_strong_evidence_against() -> None:
    later = builders.article(
        "g9", "Wendy Sherman and Sergei Ryabkov met again in Geneva on Friday, this time on "
        "arms control: limits on intermediate-range missiles, exercises near borders and "
        "inspections of launch sites. Diplomats described a working session of technical "
        "experts, after Monday's crisis talks ended without a breakthrough on NATO. The "
        "Russian side brought proposals on verification; the American delegation included "
        "officials from the Pentagon and the Energy Department, and both sides agreed to "
        "exchange papers on missile deployments before a further round in the spring.",
        published="2022-01-15", venues=[(*GENEVA_V[:3], "2022-01-14")],
        dates=[("Friday", "2022-01-14", "meet")], people=STORY_PEOPLE, orgs=["NATO"])
    event = signature(GENEVA_1)
    assert when_gap(signature(later), event) == ("day", 4)
    assert date_adjustment(signature(later), event) == -DAYS_APART
    same_day = builders.article(
        "g8", later.text.replace("Friday", "Monday").replace("after Monday's", "as the"),
        published="2022-01-10", venues=[(*GENEVA_V[:3], "2022-01-10")],
        dates=[("Monday", "2022-01-10", "meet")], people=STORY_PEOPLE, orgs=["NATO"])
    drop = similarity(signature(same_day), event) - similarity(signature(later), event)
    assert drop > (DAYS_APART + SAME_DAY) / 1.5  # strong: most of a threshold's worth


def test_an_undated_copy_joins_on_content_and_its_weekday() -> None:
    text = GENEVA_2.text.replace("ended on Monday", "ended on Monday, officials said")
    undated = builders.article("u1", text, venues=[(*GENEVA_V[:3], None)],
                               dates=[("Monday", None, "end")], people=STORY_PEOPLE,
                               orgs=["NATO"])
    other_day = builders.article("u2", text.replace("Monday", "Thursday"),
                                 venues=[(*GENEVA_V[:3], None)],
                                 dates=[("Thursday", None, "end")], people=STORY_PEOPLE,
                                 orgs=["NATO"])
    event = signature(GENEVA_1)
    assert when_gap(signature(undated), event) == ("weekday", 0)
    assert choose(signature(undated), [("e", event)]) == "e"
    assert similarity(signature(other_day), event) < similarity(signature(undated), event)


def test_background_dates_of_an_undated_article_do_not_push_it_away() -> None:
    text = GENEVA_2.text + " Russia annexed Crimea on 18 March 2014."
    undated = builders.article("u3", text, venues=[(*GENEVA_V[:3], None)],
                               dates=[("18 March 2014", "2014-03-18", "annex")],
                               people=STORY_PEOPLE, orgs=["NATO"])
    assert choose(signature(undated), [("e", signature(GENEVA_1))]) == "e"


def test_twins_with_different_people_in_the_lead_are_told_apart() -> None:
    jackson = builders.article(
        "j", "Chargers receiver Vincent Jackson was arrested on suspicion of drunken driving "
        "in San Diego, the California Highway Patrol said.", people=["Vincent Jackson"])
    williams = builders.article(
        "w", "Chargers lineman Jamal Williams was arrested on suspicion of drunken driving "
        "in San Diego, the California Highway Patrol said.", people=["Jamal Williams"])
    jackson_b = builders.article(
        "j2", "San Diego Chargers wide receiver Vincent Jackson was arrested on suspicion of "
        "drunken driving, the Highway Patrol said.", people=["Vincent Jackson"])
    event = signature(jackson)
    assert who_conflict(signature(williams), event)
    assert not who_conflict(signature(jackson_b), event)
    assert similarity(signature(williams), event) < similarity(signature(jackson_b), event)


def test_signatures_of_older_records_still_load() -> None:
    old = {"schema": 1, "terms": {"geneva": 1.0}, "parties": {}, "count": 2,
           "published": {"2022-01-11": 2}, "days": {"2022-01-10": 2}}
    sig = Signature.from_dict(old)
    assert sig.count == 2 and sig.happened == {} and sig.kinds == {}
    assert 0.0 <= similarity(signature(GENEVA_1), sig) <= 1.0


def test_another_place_is_only_other_when_the_places_are_known_apart() -> None:
    from indexer.events.happening import distinct_places, geo_key
    from indexer.events.similarity import NEAR_KM, where_match

    troy = Place("place:troy-us", "Troy", "US", 42.61, -83.15)
    detroit = Place("place:detroit-us", "Detroit", "US", 42.33, -83.05)
    michigan = Place("place:michigan-us", "Michigan", "US")
    brussels = Place("place:brussels-be", "Brussels", "BE", 50.85, 4.35)
    vienna = Place("place:vienna-at", "Vienna", "AT", 48.21, 16.37)
    keys = {p.id: geo_key(p) for p in (troy, detroit, michigan, brussels, vienna)}
    assert distinct_places(keys["place:troy-us"], keys["place:detroit-us"], NEAR_KM) is False
    assert distinct_places(keys["place:troy-us"], keys["place:michigan-us"], NEAR_KM) is None
    assert distinct_places(keys["place:brussels-be"], keys["place:vienna-at"], NEAR_KM) is True
    assert distinct_places(None, keys["place:vienna-at"], NEAR_KM) is None  # unknown name
    assert distinct_places(None, None, NEAR_KM) is True  # two names the gazetteer lacks

    def sig(place: Place) -> Signature:
        return Signature(wheres={place.id: 1}, geo={place.id: geo_key(place) or ""})

    assert where_match(sig(troy), sig(detroit)) == "same"
    assert where_match(sig(troy), sig(michigan)) is None
    assert where_match(sig(vienna), sig(brussels)) == "other"
    # signatures stored before places had coordinates compare their ids
    assert where_match(Signature(wheres={troy.id: 1}), Signature(wheres={detroit.id: 1})) == (
        "other")
    text = "A gunman shot three people at an accounting firm in Troy on Monday."
    found = signature(article(text, places=(Place(troy.id, "Troy", "US", 42.61, -83.15, (
        builders._mention(text, "Troy"),)),)))
    assert found.wheres == {troy.id: 1} and found.geo == {troy.id: "US 42.61 -83.15"}
    assert Signature.from_dict(json.loads(json.dumps(found.to_dict()))) == found


def test_commonest_is_most_common_including_ties() -> None:
    """The stem's surface form is the commonest one, the first seen among equals."""
    import random
    from collections import Counter

    from indexer.events.terms import commonest

    rng = random.Random(1)
    for _ in range(2000):
        forms: Counter[str] = Counter()
        for _ in range(rng.randint(1, 6)):
            forms[rng.choice("abcde")] += rng.randint(1, 3)
        assert commonest(forms) == forms.most_common(1)[0][0]

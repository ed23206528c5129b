"""Stories on hand-built events: the Geneva talks -> the NATO-Russia Council -> the OSCE meeting."""

from __future__ import annotations

import json

from indexer.events.stories import (
    STORY_THRESHOLD,
    Announced,
    StorySignature,
    add_event,
    announced,
    choose_story,
    continues_story,
    event_day,
    fulfils,
    reported_happenings,
    story_signature,
    timeline,
)
from tests.events.builders import article, event_of

GENEVA = ("Geneva", "place:geneva-ch", "crisis talks", "2022-01-10")
BRUSSELS = ("Brussels", "place:brussels-be", "talks between NATO and Russia", "2022-01-12")
VIENNA = ("Vienna", "place:vienna-at", "talks at OSCE", "2022-01-13")
PEOPLE = ["Wendy Sherman", "Sergei Ryabkov"]

LONG = article(
    "a-long",
    "During crisis talks in Geneva, the USA and Russia discussed disarmament in Europe. "
    "Wendy Sherman and Sergei Ryabkov explained their positions on Ukraine and NATO. "
    "Further talks will take place on Wednesday in Brussels, where NATO meets Russia, and "
    "on Thursday at the OSCE in Vienna.",
    published="2022-01-11", venues=[GENEVA, BRUSSELS, VIENNA], people=PEOPLE,
    orgs=["NATO"], dates=[("Wednesday", "2022-01-12", "take"),
                          ("Thursday", "2022-01-13", "take")],
)
SHORT = article(
    "a-short",
    "In Geneva yesterday the United States and Russia held crisis talks about Ukraine and "
    "NATO. Wendy Sherman and Sergei Ryabkov spoke after the talks. More talks follow in "
    "Brussels and Vienna.",
    published="2022-01-11", venues=[GENEVA, (*BRUSSELS[:3], "2022-01-11"), VIENNA],
    people=PEOPLE, orgs=["NATO"],
)
COUNCIL = article(
    "a-council",
    "NATO and Russia met in Brussels on Wednesday at the NATO-Russia Council. Wendy Sherman "
    "joined the talks on Ukraine; Russia repeated its demands that NATO stop expanding.",
    published="2022-01-12", venues=[("Brussels", "place:brussels-be", "NATO-Russia Council",
                                     "2022-01-12")],
    people=["Wendy Sherman"], orgs=["NATO"], dates=[("Wednesday", "2022-01-12", "meet")],
    indexed_at="2022-01-12T00:00:00.000000Z",
)
OSCE = article(
    "a-osce",
    "The OSCE met in Vienna on Thursday as the week of talks with Russia over Ukraine and "
    "NATO ended without progress.",
    published="2022-01-13", venues=[("Vienna", "place:vienna-at", "OSCE meeting",
                                     "2022-01-13")],
    orgs=["NATO", "OSCE"], dates=[("Thursday", "2022-01-13", "meet")],
    indexed_at="2022-01-13T00:00:00.000000Z",
)
QUAKE = article(
    "a-quake",
    "A magnitude 6.0 earthquake struck near Napa, California on Sunday, injuring 120 people "
    "and damaging historic buildings in the wine country.",
    published="2014-08-24", places=["Napa", "California"],
    dates=[("Sunday", "2014-08-24", "strike")],
)

GENEVA_EVENT = event_of("e-geneva", [LONG, SHORT], first_seen="2022-01-11T00:00:00Z")
COUNCIL_EVENT = event_of("e-council", [COUNCIL], first_seen="2022-01-12T00:00:00Z")
OSCE_EVENT = event_of("e-osce", [OSCE], first_seen="2022-01-13T00:00:00Z")
QUAKE_EVENT = event_of("e-quake", [QUAKE], first_seen="2014-08-24T00:00:00Z")


def test_an_event_announces_its_later_related_happenings() -> None:
    found = {a.venue: a for a in announced(GENEVA_EVENT)}
    assert set(found) == {"Brussels", "Vienna"}
    assert found["Vienna"].date == "2022-01-13" and "OSCE" in (found["Vienna"].what or "")
    assert event_day(GENEVA_EVENT) == "2022-01-10"


def test_an_article_about_an_announced_happening_fulfils_it() -> None:
    brussels, vienna = sorted(announced(GENEVA_EVENT), key=lambda a: a.venue)
    assert fulfils(COUNCIL_EVENT, brussels)
    assert not fulfils(COUNCIL_EVENT, vienna)
    assert fulfils(OSCE_EVENT, vienna)
    late = Announced(brussels.venue_id, brussels.venue, "2022-01-20", brussels.what)
    assert not fulfils(COUNCIL_EVENT, late)  # Brussels again, but a week later
    undated = Announced(brussels.venue_id, brussels.venue, None, None)
    assert not fulfils(COUNCIL_EVENT, undated)  # a venue named in passing announces nothing


def test_the_next_meetings_continue_the_story_and_an_earthquake_does_not() -> None:
    story = story_signature([GENEVA_EVENT])
    assert continues_story(COUNCIL_EVENT, story) == 1.0  # fulfils the announced Brussels talks
    story = add_event(story, COUNCIL_EVENT)
    assert {a.venue for a in story.announced} == {"Vienna"}
    assert continues_story(OSCE_EVENT, story) >= STORY_THRESHOLD
    assert continues_story(QUAKE_EVENT, story) < STORY_THRESHOLD
    stories = [("s-geneva", story), ("s-quake", story_signature([QUAKE_EVENT]))]
    assert choose_story(OSCE_EVENT, stories) == "s-geneva"
    assert choose_story(QUAKE_EVENT, stories[:1]) is None


def test_the_same_actors_half_a_year_later_start_a_new_story() -> None:
    later = article(
        "a-july",
        "US and Russian diplomats met in Geneva on Tuesday for strategic stability talks on "
        "Ukraine and NATO. Wendy Sherman and Sergei Ryabkov discussed arms control.",
        published="2022-07-19", venues=[("Geneva", "place:geneva-ch", "talks", "2022-07-19")],
        people=PEOPLE, orgs=["NATO"],
    )
    story = story_signature([GENEVA_EVENT, COUNCIL_EVENT, OSCE_EVENT])
    assert continues_story(event_of("e-july", [later]), story) < STORY_THRESHOLD


def test_timeline_orders_by_happening_day_then_first_seen() -> None:
    early_report = event_of("e-z", [OSCE], first_seen="2022-01-01T00:00:00Z")
    ordered = timeline([OSCE_EVENT, COUNCIL_EVENT, GENEVA_EVENT, early_report])
    assert [e.id for e in ordered] == ["e-geneva", "e-council", "e-z", "e-osce"]
    story = story_signature(reversed(ordered))
    assert (story.first, story.last, story.count) == ("2022-01-10", "2022-01-13", 4)


def test_story_signature_round_trips_through_json() -> None:
    story = story_signature([GENEVA_EVENT, COUNCIL_EVENT])
    back = StorySignature.from_dict(json.loads(json.dumps(story.to_dict())))
    assert back == story
    assert continues_story(OSCE_EVENT, back) == continues_story(OSCE_EVENT, story)
    assert StorySignature.from_dict({}).count == 0
    assert continues_story(OSCE_EVENT, StorySignature()) == 0.0


def test_an_article_reports_its_main_happening_and_links_the_others() -> None:
    others = reported_happenings(LONG)
    assert [(h.venue, h.date) for h in others] == [("Brussels", "2022-01-12"),
                                                  ("Vienna", "2022-01-13")]
    assert all(h.articles == ("a-long",) and h.spans for h in others)
    assert reported_happenings(COUNCIL) == []

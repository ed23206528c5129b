"""Online splits on hand-built members: two happenings in one event are cut, one is kept."""

from __future__ import annotations

from indexer.events.splits import split_members, split_plan
from indexer.models import Article
from tests.events.builders import article, event_of

GENEVA = ("Geneva", "place:geneva-ch", "talks", None)
BRUSSELS = ("Brussels", "place:brussels-be", "NATO-Russia Council", None)


def _geneva(aid: str, day: str, text: str = "") -> Article:
    return article(
        aid, text or f"US and Russian diplomats held talks in Geneva on Monday. {aid}.",
        published=day, venues=[(*GENEVA[:3], "2022-01-10")], people=["Wendy Sherman"],
        dates=[("Monday", "2022-01-10", "hold")],
    )


def _vienna(aid: str) -> Article:
    return article(
        aid, f"The OSCE met in Vienna on Thursday about Ukraine. {aid}.",
        published="2022-01-13", venues=[("Vienna", "place:vienna-at", "OSCE meeting",
                                         "2022-01-13")],
        dates=[("Thursday", "2022-01-13", "meet")],
    )


def test_two_clear_date_clusters_are_two_happenings() -> None:
    members = [_geneva("g1", "2022-01-10"), _geneva("g2", "2022-01-11"),
               _vienna("v1"), _vienna("v2"), _geneva("g3", "2022-01-10")]
    undated = article("u1", "OSCE envoys met in Vienna about Ukraine. u1.",
                      venues=[("Vienna", "place:vienna-at", "OSCE meeting", None)])
    event = event_of("e1", [*members, undated])
    plan = split_plan(event, [*members, undated])
    assert plan == [["g1", "g2", "g3"], ["v1", "v2", "u1"]]  # the undated one goes by content


def test_one_odd_date_does_not_split_an_event() -> None:
    members = [_geneva(f"g{i}", "2022-01-10") for i in range(5)] + [_vienna("v1")]
    assert split_plan(event_of("e1", members), members) is None


def test_days_a_day_or_two_apart_are_one_happening() -> None:
    late = [article(f"l{i}", f"Talks in Geneva went on Tuesday. l{i}.",
                    published="2022-01-11", venues=[(*GENEVA[:3], "2022-01-11")])
            for i in range(3)]
    members = [_geneva("g1", "2022-01-10"), _geneva("g2", "2022-01-10"), *late]
    assert split_members(members) is None


def test_venue_clusters_that_never_name_each_other_split() -> None:
    geneva = [article(f"g{i}", f"Talks in Geneva ended. g{i}.", venues=[GENEVA])
              for i in range(2)]
    brussels = [article(f"b{i}", f"The council met in Brussels. b{i}.", venues=[BRUSSELS])
                for i in range(2)]
    assert split_members([*geneva, *brussels]) == [["g0", "g1"], ["b0", "b1"]]


def test_venues_named_by_both_groups_are_one_happening() -> None:
    both = [article(f"g{i}", f"Talks in Geneva ended; Brussels is next. g{i}.",
                    venues=[GENEVA, BRUSSELS]) for i in range(2)]
    other = [article(f"b{i}", f"The council met in Brussels after Geneva. b{i}.",
                     venues=[BRUSSELS, GENEVA]) for i in range(2)]
    assert split_members([*both, *other]) is None


def test_disjoint_lead_people_are_twin_happenings() -> None:
    pad = " The team said it was gathering information." * 12
    jackson = [article(f"j{i}", f"Receiver Vincent Jackson was arrested for DUI. j{i}.{pad}",
                       people=["Vincent Jackson"]) for i in range(3)]
    williams = [article(f"w{i}", f"Lineman Jamal Williams was arrested for DUI. w{i}.{pad}",
                        people=["Jamal Williams"]) for i in range(3)]
    assert split_members([*jackson, *williams]) == [["j0", "j1", "j2"], ["w0", "w1", "w2"]]


def test_a_later_twin_recalling_the_first_is_still_a_twin() -> None:
    """The second arrest's reports recall the first in their body; the first's cannot name
    the second: naming one way does not make one happening."""
    pad = " The team said it was gathering information." * 12
    jackson = [article(f"j{i}", f"Receiver Vincent Jackson was arrested for DUI. j{i}.{pad}",
                       people=["Vincent Jackson"]) for i in range(3)]
    williams = [article(f"w{i}", f"Lineman Jamal Williams was arrested for DUI. w{i}.{pad} "
                        "Vincent Jackson was arrested last month.",
                        people=["Jamal Williams", "Vincent Jackson"]) for i in range(3)]
    assert split_members([*jackson, *williams]) == [["j0", "j1", "j2"], ["w0", "w1", "w2"]]
    recalled = [article(f"x{i}", f"Receiver Vincent Jackson was arrested for DUI. x{i}.{pad} "
                        "Jamal Williams was arrested too.",
                        people=["Vincent Jackson", "Jamal Williams"]) for i in range(3)]
    assert split_members([*recalled, *williams]) is None  # each names the other: one story


def test_twins_of_an_ever_present_person_differ_in_the_counterpart() -> None:
    """A champion's two title fights: the champion leads every report, the challenger tells
    the fights apart."""
    pad = " The crowd cheered the champion once again." * 12
    thompson = [article(f"t{i}", f"Wladimir Klitschko stopped Tony Thompson. t{i}.{pad}",
                        people=["Wladimir Klitschko", "Tony Thompson"]) for i in range(3)]
    rahman = [article(f"r{i}", f"Wladimir Klitschko stopped Hasim Rahman. r{i}.{pad}",
                      people=["Wladimir Klitschko", "Hasim Rahman"]) for i in range(3)]
    assert split_members([*thompson, *rahman]) == [["t0", "t1", "t2"], ["r0", "r1", "r2"]]
    # the officials a later sentence quotes are not counterparts
    quoted = [article(f"q{i}", f"Wladimir Klitschko stopped Tony Thompson. Referee Sam "
                      f"Williams said so. q{i}.{pad}",
                      people=["Wladimir Klitschko", "Tony Thompson", "Sam Williams"])
              for i in range(3)]
    assert split_members([*thompson, *quoted]) is None


def test_people_the_other_group_also_reports_keep_the_event_whole() -> None:
    both = [article(f"a{i}", f"Wendy Sherman and Sergei Ryabkov met in Geneva. a{i}.",
                    people=["Wendy Sherman", "Sergei Ryabkov"]) for i in range(3)]
    ryabkov = [article(f"r{i}", f"Sergei Ryabkov spoke after the talks with Wendy Sherman. r{i}.",
                       people=["Sergei Ryabkov", "Wendy Sherman"]) for i in range(3)]
    assert split_members([*both, *ryabkov]) is None


def test_small_events_are_never_split() -> None:
    assert split_members([_geneva("g1", "2022-01-10"), _vienna("v1"), _vienna("v2")]) is None

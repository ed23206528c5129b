"""A hand-written running story for tests: three happenings on three days, four outlets each.

The Geneva talks (Monday 10 January 2022), the NATO-Russia Council in Brussels (Wednesday
12 January) and the OSCE meeting in Vienna (Thursday 13 January): the same actors
throughout, one new happening every day or two, which is where assignment used to fold
happenings together. The outlet ``wire-undated`` gives no publication date (assigned on
content alone). Written for these tests; every outlet words things its own way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """One article of the running story and the happening it reports."""

    id: str
    happening: str
    source: str
    published_at: str | None
    text: str


ARTICLES: tuple[Item, ...] = (
    Item("g1", "geneva", "daily", "2022-01-10",
         "US and Russian diplomats held crisis talks in Geneva on Monday over Moscow's troop "
         "build-up near Ukraine. Deputy Secretary of State Wendy Sherman said the United "
         "States would not accept demands to bar Ukraine from NATO. Deputy Foreign Minister "
         "Sergei Ryabkov said Russia had no plans to invade. The talks lasted nearly eight "
         "hours."),
    Item("g2", "geneva", "herald", "2022-01-11",
         "Talks between the United States and Russia in Geneva ended without a breakthrough "
         "yesterday. Wendy Sherman described the eight-hour meeting as frank and forthright; "
         "Sergei Ryabkov called it difficult but professional. Moscow repeated its demand "
         "for guarantees that NATO will not expand eastward. Further talks will take place on "
         "Wednesday in Brussels, where NATO meets Russia, and on Thursday at the OSCE in "
         "Vienna."),
    Item("g3", "geneva", "observer", "2022-01-10",
         "Geneva - Russia and the United States opened security talks on Monday at the US "
         "mission in Geneva, with Ukraine at the top of the agenda. Sherman and Ryabkov "
         "met for nearly eight hours. Washington threatened sanctions if Russian forces "
         "cross into Ukraine."),
    Item("g4", "geneva", "wire-undated", None,
         "The United States and Russia held strategic security talks in Geneva on Monday. "
         "US negotiator Wendy Sherman pressed Moscow to withdraw troops from Ukraine's "
         "border, while Russian Deputy Foreign Minister Sergei Ryabkov insisted on a halt to "
         "NATO expansion. No agreement was reached in Geneva."),
    Item("b1", "brussels", "daily", "2022-01-12",
         "NATO and Russia met in Brussels on Wednesday for the first session of the "
         "NATO-Russia Council in more than two years. Secretary General Jens Stoltenberg said "
         "allies were ready to discuss arms control but would not give up the alliance's "
         "open door. Alexander Grushko led the Russian delegation."),
    Item("b2", "brussels", "herald", "2022-01-13",
         "The NATO-Russia Council meeting at alliance headquarters in Brussels yesterday "
         "ended with no agreement. Jens Stoltenberg warned of a real risk of new armed "
         "conflict in Europe. Russia's Alexander Grushko said NATO was ignoring Moscow's "
         "security concerns about Ukraine."),
    Item("b3", "brussels", "observer", "2022-01-12",
         "Brussels - Ambassadors of the 30 NATO allies sat down with a Russian delegation "
         "on Wednesday at the NATO-Russia Council. Wendy Sherman joined the session for the "
         "United States. Stoltenberg said the allies were united and that Ukraine's future "
         "was for Ukraine to decide."),
    Item("b4", "brussels", "wire-undated", None,
         "The NATO-Russia Council met in Brussels on Wednesday, with Secretary General Jens "
         "Stoltenberg and Russian Deputy Foreign Minister Alexander Grushko at the table. "
         "The council meeting in Brussels brought no breakthrough on Ukraine."),
    Item("v1", "vienna", "daily", "2022-01-13",
         "The Organization for Security and Cooperation in Europe met in Vienna on Thursday, "
         "the third round of diplomacy this week. Polish Foreign Minister Zbigniew Rau, who "
         "chairs the OSCE, warned that the risk of war in Europe was greater than at any "
         "time in the past 30 years. Russian envoy Alexander Lukashevich attended."),
    Item("v2", "vienna", "herald", "2022-01-14",
         "The OSCE Permanent Council in Vienna yesterday closed a week of talks with Russia "
         "without progress. Alexander Lukashevich said Moscow saw no reason to continue. "
         "Zbigniew Rau urged dialogue on Ukraine."),
    Item("v3", "vienna", "observer", "2022-01-13",
         "Vienna - Envoys of the 57 OSCE states gathered on Thursday at the Hofburg. "
         "Zbigniew Rau opened the session with a warning about Ukraine, and US ambassador "
         "Michael Carpenter said Russia must pull back its forces."),
    Item("v4", "vienna", "wire-undated", None,
         "OSCE members met in Vienna on Thursday at the Hofburg as the week of Russia talks "
         "ended. The OSCE chair, Zbigniew Rau, and Russia's Alexander Lukashevich spoke; no "
         "date was set for further meetings in Vienna."),
)

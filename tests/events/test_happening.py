"""When, what, where and who of one article's happening, on hand-built extractions."""

from __future__ import annotations

from datetime import date

from indexer.events import happening
from tests.events.builders import article


def test_publication_date_is_only_the_reference_the_happening_day_comes_from_the_text() -> None:
    a = article("a", "Russia and the US held talks in Geneva on Monday, officials said.",
                published="2022-01-11", dates=[("Monday", "2022-01-10", "hold")])
    found = happening.when(a)
    assert found.reference == date(2022, 1, 11) and found.source == "published"
    assert found.day == date(2022, 1, 10)
    assert found.best == date(2022, 1, 10)


def test_the_main_venue_date_dates_the_happening() -> None:
    text = "Talks in Geneva ended. Further talks follow in Brussels on Wednesday."
    a = article("a", text, published="2022-01-11",
                venues=[("Geneva", "place:geneva-ch", "talks", "2022-01-10"),
                        ("Brussels", "place:brussels-be", "talks", "2022-01-12")])
    assert happening.when(a).day == date(2022, 1, 10)


def test_a_report_date_gives_way_to_the_date_of_the_action() -> None:
    text = "Police said Saturday that two men were arrested Friday outside the stadium."
    a = article("a", text, published="2009-01-10",
                dates=[("Saturday", "2009-01-10", "say"), ("Friday", "2009-01-09", "arrest")])
    assert happening.when(a).day == date(2009, 1, 9)


def test_background_dates_outside_the_reporting_window_are_not_the_happening() -> None:
    text = "The team won on Sunday. They last won the title on 3 May 2004."
    a = article("a", text, published="2012-07-09",
                dates=[("3 May 2004", "2004-05-03", "win")])
    assert happening.when(a).day is None
    assert happening.when(a).reference == date(2012, 7, 9)


def test_a_dateline_dates_an_article_without_publication_date() -> None:
    text = ("http://www.example.com/sports/story.html\nChargers lineman arrested\n"
            "10:55 P.M. FEB. 2, 2009\nThe lineman was arrested early Sunday on suspicion of "
            "drunken driving.")
    a = article("a", text, dates=[("early Sunday", None, "arrest")])
    found = happening.when(a)
    assert found.reference == date(2009, 2, 2) and found.source == "dateline"
    assert found.day == date(2009, 2, 1)  # Sunday before the dateline, resolved here


def test_the_dateline_dates_the_report_not_the_happening() -> None:
    text = ("http://www.example.com/news/texas-escape\nTexas convict escapes on foot\n"
            "THURSDAY, DECEMBER 3, 2009, 9:36 AM\nThe convict pulled a gun on two guards "
            "on Monday and escaped.")
    a = article("a", text, dates=[("DECEMBER 3, 2009", "2009-12-03", None),
                                  ("Monday", None, "escape")])
    found = happening.when(a)
    assert found.reference == date(2009, 12, 3)
    assert found.day == date(2009, 11, 30)  # the Monday before, not the dateline's day


def test_a_short_sentence_with_a_date_is_not_a_dateline() -> None:
    text = ("Pinup icon Bettie Page died Thursday evening in Los Angeles.\n"
            "Page was born on April 22, 1923, in Nashville, Tenn.\nShe began modeling in 1950.")
    assert happening.reference_day(article("a", text)) == (None, None)
    crawled = "Posted 1 year, 160 days ago [ downloaded on 2 October 2013 ]\nRoss talks."
    assert happening.reference_day(article("b", crawled)) == (None, None)
    assert happening.reference_day(article("c", "Posted: May 24, 2005\nCheeks hired.")) == (
        date(2005, 5, 24), "dateline")


def test_numeric_datelines_short_years_and_the_url_month() -> None:
    assert happening.reference_day(article("a", "8/2/13 at 1:30 PM\nEllen to host.")) == (
        date(2013, 8, 2), "dateline")
    day_first = article("b", "11/09/2010\nKraft shooting: worker charged.",
                        url="http://news.example.com/2010/09/kraft-shooting.html")
    assert happening.reference_day(day_first) == (date(2010, 9, 11), "dateline")
    for line, day in (("Last updated 13:26 14/09/2013", date(2013, 9, 14)),
                      ("Article posted on 08.07.2012", date(2012, 7, 8)),
                      ("Published: 2012.08.08 09:01 AM", date(2012, 8, 8))):
        assert happening.reference_day(article("x", f"{line}\nText.")) == (day, "dateline")


def test_a_dated_url_dates_an_article() -> None:
    a = article("a", "The fire destroyed the warehouse.",
                url="https://news.example.com/2012/aug/07/warehouse-fire")
    assert happening.reference_day(a) == (date(2012, 8, 7), "dateline")
    b = article("b", "http://example.com/2009-02-03-williams-arrested\nWilliams was arrested.")
    assert happening.reference_day(b) == (date(2009, 2, 3), "dateline")
    c = article("c", "Red Sox extend offer.", url="http://mlb.com/news/article.jsp?ymd=20081216")
    assert happening.reference_day(c) == (date(2008, 12, 16), "dateline")
    # a month's page whose slug starts with a number carries no day
    assert happening.url_day("http://www.vulture.com/2013/08/5-thoughts-on-ellen.html") is None


def test_an_undated_article_keeps_the_weekday_its_lead_names() -> None:
    a = article("a", "NATO and Russia met in Brussels on Wednesday.",
                dates=[("Wednesday", None, "meet")])
    found = happening.when(a)
    assert found.day is None and found.reference is None
    assert found.weekday == 2


def test_a_long_line_with_a_date_is_not_a_dateline() -> None:
    text = ("The company said on May 3, 2013 that profits rose, and it expects to open "
            "several new stores and hire hundreds of people in the coming year.")
    assert happening.reference_day(article("a", text)) == (None, None)


def test_kind_comes_from_the_title_then_the_lead_sentence() -> None:
    assert happening.kind(article("a", "He was held.", title="Star arrested for DUI")) == "arrest"
    assert happening.kind(article("b", "Bettie Page has died. She was 85.")) == "death"
    assert happening.kind(article("c", "NATO and Russia met in Brussels.")) == "meeting"
    assert happening.kind(article("d", "A summit will be held.")) == "summit"
    assert happening.kind(article("e", "Nothing of note.")) is None


def test_where_is_the_main_venue_else_the_first_place_of_the_lead() -> None:
    text = "Talks in Geneva ended; the next round is in Brussels."
    a = article("a", text, venues=[("Geneva", "place:geneva-ch", "talks", None),
                                   ("Brussels", "place:brussels-be", "talks", None)])
    assert happening.where(a) == "place:geneva-ch"
    b = article("b", "A fire destroyed a warehouse in Palmer, Alaska.",
                places=["Palmer", "Alaska"])
    assert happening.where(b) == "place:palmer"
    assert happening.where(article("c", "Nothing here.")) is None


def test_who_is_the_people_the_lead_names() -> None:
    text = "Vincent Jackson was arrested. " + "x " * 250 + "Coach Norv Turner said nothing."
    a = article("a", text, people=["Vincent Jackson", "Norv Turner"])
    assert happening.who(a) == {"jackson"}
    assert happening.named_people(a) == {"jackson", "turner"}

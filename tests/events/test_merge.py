"""Merging articles into one event record: provenance, agreement and conflicts (no NLP)."""

from __future__ import annotations

from indexer.events.merge import merge_event
from indexer.models import Article, Demand, Fact, Mention, Party, Venue


def _article(
    aid: str,
    *,
    role: str,
    brussels: str,
    length: str,
    source: str,
    action: str = "withdraw Russian troops from the border",
) -> Article:
    text = f"Talks in Geneva. {role} Wendy Sherman spoke. Brussels follows. {length} talks."
    sherman = Party("person:wendy-sherman", "Wendy Sherman", "person",
                    (Mention(18 + len(role), 31 + len(role), "Wendy Sherman"),), (role,))
    us = Party("country:US", "United States", "country", (Mention(0, 5, "Talks"),))
    return Article(
        id=aid,
        text=text,
        content_hash=aid,
        extractor_version="t",
        indexed_at=f"2022-01-11T00:00:0{aid[-1]}.000000Z",
        source=source,
        published_at="2022-01-11",
        parties=(sherman, us),
        venues=(
            Venue("place:geneva-ch", "Geneva", "CH", what="talks", date="2022-01-10",
                  mentions=(Mention(9, 15, "Geneva"),)),
            Venue("place:brussels-be", "Brussels", "BE", what="NATO-Russia meeting",
                  date=brussels, mentions=(Mention(40, 48, "Brussels"),)),
        ),
        demands=(
            Demand("country:US", "country:RU", action, "demand", "demand",
                   Mention(0, 16, "Talks in Geneva.")),
        ),
        facts=(Fact("duration", "talks", length, Mention(60, 70, "x")),),
    )


A = _article("a1", role="US Deputy Secretary of State", brussels="2022-01-11",
             length="eight-hour", source="short")
B = _article("a2", role="US Deputy Foreign Minister", brussels="2022-01-12",
             length="nearly eight-hour", source="long",
             action="withdraw Russian forces from the border")


def test_primary_venue_and_date_with_agreement() -> None:
    event = merge_event("ev1", [B, A], first_seen="t0", last_updated="t1")
    assert event.venue is not None and event.venue.name == "Geneva"
    assert event.venue.agreement == 1.0
    assert event.date is not None and event.date.value == "2022-01-10"
    assert set(event.date.articles) == {"a1", "a2"}
    assert "Geneva" in event.title and event.type == "talks"
    assert event.articles == ("a1", "a2")  # in indexing order, whatever the input order
    assert event.sources == ("long", "short")


def test_conflicts_list_every_value_with_its_article() -> None:
    event = merge_event("ev1", [A, B], first_seen="t0", last_updated="t1")
    by_field = {c.field: {v.value: v.articles for v in c.values} for c in event.conflicts}
    assert by_field["role:person:wendy-sherman"] == {
        "US Deputy Secretary of State": ("a1",),
        "US Deputy Foreign Minister": ("a2",),
    }
    assert by_field["duration:talks"] == {"eight-hour": ("a1",), "nearly eight-hour": ("a2",)}
    assert by_field["date:place:brussels-be"] == {"2022-01-11": ("a1",), "2022-01-12": ("a2",)}
    about = {c.field: c.about for c in event.conflicts}
    assert about["date:place:brussels-be"] == "date of the Brussels meeting"
    assert "date" not in by_field and "venue" not in by_field


def test_related_happenings_and_deduplicated_demands() -> None:
    event = merge_event("ev1", [A, B], first_seen="t0", last_updated="t1")
    assert [(h.venue, h.what) for h in event.related] == [("Brussels", "NATO-Russia meeting")]
    assert len(event.demands) == 1, "troops/forces wordings are one demand"
    demand = event.demands[0]
    assert demand.articles == ("a1", "a2")
    assert {s.article_id for s in demand.spans} == {"a1", "a2"}


def test_one_article_has_no_conflicts() -> None:
    event = merge_event("ev1", [A], first_seen="t0", last_updated="t0")
    assert event.conflicts == ()
    assert event.parties[0].article_count == 1


def test_same_input_same_record() -> None:
    assert merge_event("e", [A, B], first_seen="t", last_updated="t") == merge_event(
        "e", [B, A], first_seen="t", last_updated="t"
    )

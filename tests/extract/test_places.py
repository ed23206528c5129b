"""Venues versus places on hand-built parses: where something happens, and when."""

from __future__ import annotations

from indexer.extract.places import extract_locations
from indexer.models import DateRef
from tests.extract.handmade import make_doc


def test_talks_in_a_city_make_a_venue_dated_by_the_sentence() -> None:
    rows = [("Crisis", 1, "compound", "NOUN"), ("talks", 5, "nsubj", "NOUN"),
            ("in", 1, "prep", "ADP"), ("Geneva", 2, "pobj", "PROPN"),
            ("yesterday", 5, "npadvmod", "NOUN"), ("ended", 5, "ROOT", "VERB")]
    doc = make_doc(rows, {3: "B-GPE"})
    when = DateRef("yesterday", 23, 32, "2022-01-10", "day", True)
    venues, places = extract_locations(doc, (), (when,))
    assert places == ()
    [venue] = venues
    assert (venue.id, venue.name, venue.country, venue.what, venue.date) == (
        "place:geneva-ch", "Geneva", "CH", "Crisis talks", "2022-01-10")
    assert venue.lat is not None and venue.lon is not None


def test_a_location_named_in_passing_is_a_place() -> None:
    rows = [("The", 1, "det", "DET"), ("ambassador", 4, "nsubj", "NOUN"),
            ("in", 1, "prep", "ADP"), ("Berlin", 2, "pobj", "PROPN"),
            ("called", 4, "ROOT", "VERB"), ("for", 4, "prep", "ADP"),
            ("arms", 5, "pobj", "NOUN")]
    venues, places = extract_locations(make_doc(rows, {3: "B-GPE"}), ())
    assert venues == ()
    assert [(p.id, p.country) for p in places] == [("place:berlin-de", "DE")]


def test_a_continent_has_no_country() -> None:
    rows = [("Troops", 0, "ROOT", "NOUN"), ("in", 0, "prep", "ADP"), ("Europe", 1, "pobj", "PROPN")]
    _, places = extract_locations(make_doc(rows, {2: "B-LOC"}), ())
    assert [(p.id, p.name, p.country) for p in places] == [("place:europe", "Europe", None)]

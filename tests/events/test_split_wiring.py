"""Online splits through the store: an event found to hold two happenings is cut in two.

The largest part keeps the id; the other becomes an event of the same story, each side
naming the other (split_into / split_from), and every moved article's membership changes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from indexer.check import check
from indexer.events.assign import _maybe_split, rederive
from indexer.store.embedded import EmbeddedStore
from tests.events.test_splits import _geneva, _vienna


def test_an_event_holding_two_happenings_is_split(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.sqlite3")
    members = [_geneva("g1", "2022-01-10"), _geneva("g2", "2022-01-11"),
               _geneva("g3", "2022-01-10"), _vienna("v1"), _vienna("v2"), _vienna("v3")]
    # As if an early wrong join had put them all in one event.
    for article in members:
        store.put_article(replace(article, event_id="e-both"))
    event = rederive(store, "e-both", adding=[store.get_article(a.id) for a in members])
    assert len(event.articles) == 6

    ended = _maybe_split(store, event, "v2")

    kept, _ = store.get_event("e-both")
    assert sorted(kept.articles) == ["g1", "g2", "g3"]
    (part_id,) = kept.split_into
    part, _ = store.get_event(part_id)
    assert sorted(part.articles) == ["v1", "v2", "v3"]
    assert part.split_from == "e-both"
    assert part.story_id == kept.story_id is not None
    assert ended.id == part_id  # the article that triggered it is told where it ended
    assert {store.get_article(a).event_id for a in ("v1", "v2", "v3")} == {part_id}
    assert check(store).clean
    store.close()


def test_events_are_checked_at_roughly_doubling_sizes() -> None:
    from indexer.events.assign import _checkpoint

    assert [n for n in range(1, 70) if _checkpoint(n)] == [4, 6, 8, 12, 16, 24, 32, 48, 64]


def test_the_parts_of_a_split_are_never_folded_back() -> None:
    """Twins share every word but the names: a later article matching both parts is no
    evidence they are one happening after all (folding them undid the split each time)."""
    from indexer.events.assign import split_kin
    from tests.events.builders import event_of

    base = event_of("e1", [_geneva("g1", "2022-01-10")])
    whole = replace(base, split_into=("e2",))
    part = replace(base, id="e2", split_from="e1")
    sibling = replace(base, id="e3", split_from="e1")
    other, unrelated = replace(base, id="e4"), replace(base, id="e5")
    assert split_kin(whole, part) and split_kin(part, whole) and split_kin(part, sibling)
    assert not split_kin(whole, other) and not split_kin(unrelated, other)

"""The public JSON form of stored records: what the API returns and ``storyrecords extract`` prints.

Records keep parties by id internally (a demand's claimant is ``country:US``); readers get
small party objects instead, so nobody has to join demands with ``parties`` by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from indexer.models import Article, Event, Story

_KIND_BY_PREFIX = {"country": "country", "org": "organization", "person": "person"}


def party_ref(party_id: str | None, known: Mapping[str, tuple[str, str]]) -> dict[str, str] | None:
    """``{"id", "name", "kind"}`` for a party id; names come from the record's own parties."""
    if party_id is None:
        return None
    if party_id in known:
        name, kind = known[party_id]
        return {"id": party_id, "name": name, "kind": kind}
    prefix, _, rest = party_id.partition(":")
    return {"id": party_id, "name": rest or party_id, "kind": _KIND_BY_PREFIX.get(prefix, "group")}


def _known(parties: Iterable[Any]) -> dict[str, tuple[str, str]]:
    return {p["id"]: (p["name"], p["kind"]) for p in parties}


def _with_party_refs(demands: list[dict[str, Any]], known: Mapping[str, tuple[str, str]]) -> None:
    for demand in demands:
        demand["claimant"] = party_ref(demand["claimant"], known)
        demand["addressee"] = party_ref(demand["addressee"], known)


Record = dict[str, Any]


def _plain(record: Article | Event | Story | Record) -> Record:
    """A record's JSON: a stored record decodes to a fresh dict; a partial hit (already a
    dict, read with only some fields) is copied at the top level only where it changes."""
    return dict(record) if isinstance(record, dict) else record.to_dict()


def _public_demands(data: Record) -> None:
    if "demands" in data:
        demands = [dict(d) for d in data["demands"]]
        _with_party_refs(demands, _known(data.get("parties", ())))
        data["demands"] = demands


def article_json(article: Article | Record) -> Record:
    """An article as clients see it (its near-duplicate signature stays internal)."""
    data = _plain(article)
    data.pop("signature", None)
    _public_demands(data)
    return data


def event_json(event: Event | Record) -> Record:
    """A merged event as clients see it (the matching signature stays internal)."""
    data = _plain(event)
    data.pop("signature", None)
    _public_demands(data)
    return data


def story_json(story: Story | Record) -> Record:
    """A story as clients see it (the matching signature stays internal)."""
    data = _plain(story)
    data.pop("signature", None)
    if "events" in data:
        data["events"] = [{k: v for k, v in e.items() if k not in ("parties", "sources")}
                          for e in data["events"]]
    if "announced" in data:
        data["announced"] = [{k: v for k, v in a.items() if k not in ("articles", "spans")}
                             for a in data["announced"]]
    return data


def neighbours(story: Story | None, event_id: str) -> dict[str, str | None]:
    """The events before and after ``event_id`` in its story's timeline."""
    if story is None:
        return {"previous": None, "next": None}
    ids = [e.event_id for e in story.events]
    if event_id not in ids:
        return {"previous": None, "next": None}
    at = ids.index(event_id)
    return {"previous": ids[at - 1] if at > 0 else None,
            "next": ids[at + 1] if at + 1 < len(ids) else None}

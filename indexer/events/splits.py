"""Online splits: when an event's own articles show it holds two happenings, say how to cut it.

Assignment is single-pass, so an early wrong join (a running story's next meeting, a twin
happening whose reports share every word but the names) stays until evidence says
otherwise. That evidence is in the members themselves: they fall into groups that each
look like one happening and differ from each other where one happening cannot —

* **when**: the happening days the articles give form two clusters more than
  :data:`SPLIT_DAYS` apart (the talks on Monday, the council on Wednesday);
* **where**: the articles' main venues form two groups, each naming its own venue as where
  it happened and not the other's (Geneva, Brussels);
* **who**: the people the leads name form two disjoint groups, and the groups do not name
  each other's people (two players of one team arrested on two nights: the second
  arrest's reports recall the first, the first's cannot name the second).

Each group needs :data:`MIN_PART` articles and :data:`MIN_SHARE` of the members that
carry the evidence, so one odd article never splits an event (it stays where it is).
Members without that evidence (undated, no venue) go to the part they match best.
:func:`split_plan` is pure; the store applies the plan (lineage ``split_from``, the larger
part keeps the id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from indexer.events import happening, similarity
from indexer.events.similarity import Signature
from indexer.models import Article, Event

MIN_PART = 2
"""Articles each part needs (with the evidence) before an event is cut."""
MIN_SHARE = 0.25
"""...and the share of the members carrying that evidence each part needs."""
SPLIT_DAYS = 2
"""Happening days further apart than this (with nothing in between) are two happenings."""
PEOPLE_PART = 3
"""A group of articles with its own lead person needs this many to stand alone..."""
OWN_LEADS = 0.6
"""...its person in at least this share of its leads..."""
OTHERS_LEADING = 0.2
"""...in at most this share of another group's leads..."""
OTHERS_NAMING = 0.5
"""...and named anywhere by at most this share of another group's articles."""
EVER_PRESENT = 0.6
"""A person the first sentences of more than this share of the members name is the
ever-present one (:func:`_by_counterpart`)."""
DEPTH = 3
"""A part is checked again (by every rule) this many times: a merged twin may also hold a
follow-up days later."""


def split_plan(event: Event, members: Sequence[Article]) -> list[list[str]] | None:
    """Article ids of each happening ``event`` holds, largest part first; None to keep it.

    ``members`` are the event's articles (those listed in ``event.articles`` count). The
    first rule that finds two or more parts decides: days, then venues, then people.
    """
    listed = set(event.articles)
    articles = [a for a in members if a.id in listed] or list(members)
    return split_members(articles)


def split_members(
    articles: Sequence[Article], signatures: Mapping[str, Signature] | None = None
) -> list[list[str]] | None:
    """:func:`split_plan` on bare articles (the scorers call this; signatures are optional
    and computed when not given)."""
    if len(articles) < 2 * MIN_PART:
        return None
    sigs = dict(signatures or {})
    for article in articles:
        if article.id not in sigs:
            sigs[article.id] = similarity.signature(article)
    parts = _split(list(articles), sigs, DEPTH)
    return parts if len(parts) > 1 else None


def _split(
    articles: list[Article], sigs: Mapping[str, Signature], depth: int
) -> list[list[str]]:
    if depth == 0 or len(articles) < 2 * MIN_PART:
        return [[a.id for a in articles]]
    for rule in (_by_day, _by_venue, _by_people, _by_counterpart):
        groups = rule(articles)
        if groups is None:
            continue
        by_id = {a.id: a for a in articles}
        out: list[list[str]] = []
        for part in _complete(articles, groups, sigs):
            out.extend(_split([by_id[aid] for aid in part], sigs, depth - 1))
        order = {a.id: i for i, a in enumerate(articles)}
        return sorted(out, key=lambda p: (-len(p), order[p[0]]))
    return [[a.id for a in articles]]


def _by_day(articles: Sequence[Article]) -> list[list[str]] | None:
    """Clusters of happening days with gaps of more than SPLIT_DAYS between them."""
    dated = sorted(
        (day, a.id) for a in articles if (day := happening.when(a).day) is not None)
    if len(dated) < 2 * MIN_PART:
        return None
    clusters: list[list[tuple[date, str]]] = []
    for day, aid in dated:
        if clusters and (day - clusters[-1][-1][0]).days <= SPLIT_DAYS:
            clusters[-1].append((day, aid))
        else:
            clusters.append([(day, aid)])
    return _enough([[aid for _, aid in c] for c in clusters], len(dated))


def _by_venue(articles: Sequence[Article]) -> list[list[str]] | None:
    """Groups by main venue, where no article of one group names another group's venue."""
    mains: dict[str, str] = {}
    named: dict[str, set[str]] = {}
    for article in articles:
        venue = happening.main_venue(article)
        if venue is not None:
            mains[article.id] = venue.id
            named[article.id] = {v.id for v in article.venues}
    groups: dict[str, list[str]] = defaultdict(list)
    for aid, vid in mains.items():
        groups[vid].append(aid)
    parts = _enough(list(groups.values()), len(mains))
    if parts is None:
        return None
    venue_of = {aid: mains[aid] for part in parts for aid in part}
    for part in parts:
        own = venue_of[part[0]]
        others = {venue_of[p[0]] for p in parts} - {own}
        if any(named[aid] & others for aid in part):
            return None  # the articles see both places: one happening's several venues
    return parts


def _by_people(articles: Sequence[Article]) -> list[list[str]] | None:
    """Groups by the person their leads name most: each group's person leads most of its
    own articles and hardly any of the other's, and the groups do not both name each
    other's person in most of their articles.

    (Later reports of a twin recall the first one in their body: "teammate X was arrested
    last month"; what they lead with is their own happening's people. The first one's
    reports cannot name the second: naming one way is a twin, both ways one happening.)
    """
    leads = {a.id: happening.who(a) for a in articles}
    counts = Counter(p for people in leads.values() for p in people)
    return _people_groups(articles, leads, counts)


def _people_groups(
    articles: Sequence[Article], keys_of: Mapping[str, set[str]], counts: Counter[str]
) -> list[list[str]] | None:
    """Groups of articles by the most shared of their ``keys_of`` people, when the groups
    are big enough and their people are their own (see :func:`_by_people`)."""
    leads = {a.id: happening.who(a) for a in articles}
    names = {a.id: happening.named_people(a) for a in articles}
    groups: dict[str, list[str]] = defaultdict(list)
    for aid, people in keys_of.items():
        if people:
            key = min(people, key=lambda p: (-counts[p], p))  # its most shared name
            groups[key].append(aid)
    parts = _enough([g for g in groups.values() if len(g) >= PEOPLE_PART],
                    sum(1 for p in keys_of.values() if p))
    if parts is None:
        return None
    keys = [min(set().union(*(keys_of[aid] for aid in part)), key=lambda p: (-counts[p], p))
            for part in parts]
    naming: set[tuple[int, int]] = set()
    for i, key in enumerate(keys):
        if sum(1 for aid in parts[i] if key in keys_of[aid]) < OWN_LEADS * len(parts[i]):
            return None
        for j, other in enumerate(parts):
            if i == j:
                continue
            if sum(1 for aid in other if key in leads[aid]) > OTHERS_LEADING * len(other):
                return None  # the other group leads with this person too: one happening
            if sum(1 for aid in other if key in names[aid]) > OTHERS_NAMING * len(other):
                naming.add((j, i))  # group j names group i's person
    if any((i, j) in naming for j, i in naming):
        return None  # each group names the other's person: one happening's people
    return parts


def _by_counterpart(articles: Sequence[Article]) -> list[list[str]] | None:
    """Twins of one ever-present person (a champion's two title fights, a coach's firing
    and hiring): the person most first sentences name cannot tell them apart, the other
    person they name can ("Klitschko stops Thompson", "Klitschko stops Rahman"). Groups by
    that counterpart, with the guards of :func:`_by_people`."""
    firsts = {a.id: happening.protagonists(a) for a in articles}
    carrying = sum(1 for p in firsts.values() if p)
    counts = Counter(p for people in firsts.values() for p in people)
    common = {p for p, n in counts.items() if n > EVER_PRESENT * carrying}
    if not common:
        return None
    return _people_groups(articles, {aid: p - common for aid, p in firsts.items()}, counts)


def _enough(groups: list[list[str]], carrying: int) -> list[list[str]] | None:
    """The groups big enough to stand alone, when there are at least two of them."""
    need = max(MIN_PART, MIN_SHARE * carrying)
    big = [g for g in groups if len(g) >= need]
    return big if len(big) >= 2 else None


def _complete(
    articles: Sequence[Article], groups: list[list[str]], sigs: Mapping[str, Signature]
) -> list[list[str]]:
    """Every member in a part: the rest go to the part whose signature they match best."""
    placed = {aid for g in groups for aid in g}
    parts = [list(g) for g in groups]
    part_sigs = [_combined([sigs[aid] for aid in g]) for g in parts]
    for article in articles:
        if article.id in placed:
            continue
        best = max(range(len(parts)), key=lambda i: (
            round(similarity.similarity(sigs[article.id], part_sigs[i]), 9), len(parts[i]), -i))
        parts[best].append(article.id)
    order = {a.id: i for i, a in enumerate(articles)}
    for part in parts:
        part.sort(key=order.__getitem__)
    parts.sort(key=lambda p: (-len(p), order[p[0]]))
    return parts


def _combined(sigs: Sequence[Signature]) -> Signature:
    combined = sigs[0]
    for other in sigs[1:]:
        combined = similarity.combine(combined, other)
    return combined


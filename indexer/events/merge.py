"""Fold the articles of one event into a single record, keeping provenance and disagreements.

Pure: the same articles give the same record, whatever order they arrived in. Every merged
value lists the articles (and spans) that state it; where articles disagree, the value the
most articles state wins and a :class:`FactConflict` lists all of them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from indexer.events import happening as facets
from indexer.extract.reference import country_words
from indexer.models import (
    Article,
    Attested,
    Event,
    EventDemand,
    EventParty,
    EventVenue,
    FactConflict,
    Happening,
    Mention,
    SourceSpan,
    Venue,
)

_TYPE_BY_WORD = {
    "talks": "talks", "negotiations": "talks", "negotiation": "talks", "summit": "summit",
    "meeting": "meeting", "meets": "meeting", "met": "meeting", "council": "meeting",
    "conference": "conference", "attack": "attack", "bombing": "attack", "shooting": "attack",
    "explosion": "attack", "earthquake": "earthquake", "quake": "earthquake",
    "protest": "protest", "protests": "protest", "demonstration": "protest",
    "election": "election", "arrest": "arrest", "arrested": "arrest", "fire": "fire",
    "crash": "accident", "flood": "disaster", "storm": "disaster", "hurricane": "disaster",
    "trial": "trial", "acquisition": "acquisition", "acquire": "acquisition",
    "acquires": "acquisition", "buys": "acquisition", "resigns": "resignation",
    "resignation": "resignation", "dies": "death", "died": "death", "death": "death",
    "launch": "launch", "launches": "launch", "award": "award", "wins": "award",
}  # fmt: skip
_STOP = {
    "the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "that", "with", "from",
    "its", "their", "his", "her", "be", "by", "at", "as", "is", "are", "will", "not",
}  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")
# Wordings news uses interchangeably for the same demand; a country's name, one-word aliases
# and demonyms ("Russian", "Russia"; "American", "USA") come from the reference data as "@ru".
_SYNONYMS = {
    **{word: f"@{code.lower()}" for word, code in country_words().items()},
    "troops": "forces", "troop": "forces", "soldiers": "forces", "force": "forces",
    "arms": "weapons", "weaponry": "weapons", "weapon": "weapons", "alliance": "nato",
}  # fmt: skip


def merge_event(
    event_id: str,
    articles: Sequence[Article],
    *,
    first_seen: str,
    last_updated: str,
    merged_from: Iterable[str] = (),
    signature: dict[str, Any] | None = None,
) -> Event:
    """The merged record of ``articles`` (at least one) under ``event_id``.

    Every member is listed in ``articles``; a syndicated copy of another member
    (``duplicate_of``) adds nothing else: no source, no party count, no share of agreement.
    """
    if not articles:
        raise ValueError("an event needs at least one article")
    members = sorted(articles, key=lambda a: (a.indexed_at, a.id))
    ordered = originals(members)
    venue, venue_share, main_venues = _primary_venue(ordered)
    date, date_share = _primary_date(ordered, venue)
    parties = _parties(ordered)
    related = _related(ordered, venue.id if venue else None)
    conflicts = (
        _role_conflicts(ordered, parties)
        + _fact_conflicts(ordered)
        + _happening_date_conflicts(ordered, related)
        + _primary_conflicts(ordered, main_venues, venue)
    )
    event_venue = None
    if venue is not None:
        event_venue = EventVenue(
            id=venue.id,
            name=venue.name,
            country=venue.country,
            lat=venue.lat,
            lon=venue.lon,
            articles=tuple(a.id for a in ordered if any(v.id == venue.id for v in a.venues)),
            agreement=venue_share,
        )
    return Event(
        id=event_id,
        title=_title(ordered, venue, date, parties),
        type=_type(ordered, venue),
        date=date,
        date_agreement=date_share,
        venue=event_venue,
        parties=parties,
        demands=_demands(ordered),
        related=related,
        conflicts=tuple(conflicts),
        articles=tuple(a.id for a in members),
        sources=tuple(sorted({a.source for a in ordered if a.source})),
        first_seen=first_seen,
        last_updated=last_updated,
        merged_from=tuple(sorted(set(merged_from))),
        signature=signature,
    )


def originals(members: Sequence[Article]) -> list[Article]:
    """The members that are not copies of another member (all of them if that left none)."""
    ids = {a.id for a in members}
    kept = [a for a in members if a.duplicate_of is None or a.duplicate_of not in ids]
    return kept or list(members)


def _span(article: Article, mention: Mention) -> SourceSpan:
    return SourceSpan(article.id, mention.start, mention.end, mention.text)


def _first_position(venue: Venue) -> int:
    return min((m.start for m in venue.mentions), default=1 << 30)


def _main_venue(article: Article) -> Venue | None:
    """The venue named first: news leads with where the reported happening took place."""
    return min(article.venues, key=_first_position, default=None)


def _primary_venue(
    articles: Sequence[Article],
) -> tuple[Venue | None, float, dict[str, Venue | None]]:
    mains = {a.id: _main_venue(a) for a in articles}
    votes = Counter(v.id for v in mains.values() if v is not None)
    if not votes:
        return None, 0.0, mains
    best = min(votes, key=lambda vid: (-votes[vid], vid))
    venue = next(v for v in mains.values() if v is not None and v.id == best)
    return venue, votes[best] / len(articles), mains


def _primary_date(
    articles: Sequence[Article], venue: Venue | None
) -> tuple[Attested | None, float]:
    """The date of the main venue's happening; else the most common publication day."""
    stated: dict[str, list[SourceSpan]] = defaultdict(list)
    for article in articles:
        for v in article.venues:
            if venue is not None and v.id == venue.id and v.date:
                stated[v.date].append(_span(article, v.mentions[0]) if v.mentions else
                                      SourceSpan(article.id, 0, 0, ""))
                break
    if not stated:
        days = Counter(a.published_at[:10] for a in articles if a.published_at)
        if not days:
            return None, 0.0
        day = min(days, key=lambda d: (-days[d], d))
        ids = tuple(a.id for a in articles if a.published_at and a.published_at[:10] == day)
        return Attested(day, ids), days[day] / len(articles)
    value = min(stated, key=lambda d: (-len(stated[d]), d))
    spans = tuple(stated[value])
    articles_ids = tuple(dict.fromkeys(s.article_id for s in spans))
    return Attested(value, articles_ids, spans), len(articles_ids) / len(articles)


def _parties(articles: Sequence[Article]) -> tuple[EventParty, ...]:
    found: dict[str, dict[str, Any]] = {}
    for article in articles:
        for party in article.parties:
            entry = found.setdefault(
                party.id,
                {"names": Counter(), "kind": party.kind, "articles": [], "roles": {},
                 "affiliations": Counter(), "mentions": 0},
            )
            entry["mentions"] += len(party.mentions)
            entry["names"][party.name] += 1
            entry["articles"].append(article.id)
            if party.affiliation:
                entry["affiliations"][party.affiliation] += 1
            for role in party.roles:
                key = _norm(role)
                ids, spans, label = entry["roles"].get(key, ([], [], role))
                ids.append(article.id)
                if party.mentions:
                    spans.append(_span(article, party.mentions[0]))
                entry["roles"][key] = (ids, spans, label)
    parties = []
    weight = {pid: entry["mentions"] for pid, entry in found.items()}
    for pid, entry in found.items():
        ids = tuple(dict.fromkeys(entry["articles"]))
        roles = tuple(
            Attested(label, tuple(dict.fromkeys(r_ids)), tuple(spans))
            for r_ids, spans, label in entry["roles"].values()
        )
        affiliations: Counter[str] = entry["affiliations"]
        parties.append(
            EventParty(
                id=pid,
                name=min(entry["names"], key=lambda n: (-entry["names"][n], n)),
                kind=entry["kind"],
                article_count=len(ids),
                articles=ids,
                roles=roles,
                affiliation=min(affiliations, key=lambda a: (-affiliations[a], a))
                if affiliations else None,
            )
        )
    parties.sort(key=lambda p: (-p.article_count, -weight[p.id], p.name))
    return tuple(parties)


def _related(articles: Sequence[Article], primary: str | None) -> tuple[Happening, ...]:
    """Other venues with something happening there, e.g. the follow-up meetings."""
    groups: dict[str, list[tuple[Article, Venue]]] = defaultdict(list)
    for article in articles:
        for venue in article.venues:
            if venue.id != primary:
                groups[venue.id].append((article, venue))
    happenings = []
    for vid, items in groups.items():
        whats = Counter(v.what for _, v in items if v.what)
        dates = Counter(v.date for _, v in items if v.date)
        happenings.append(
            Happening(
                venue_id=vid,
                venue=items[0][1].name,
                what=min(whats, key=lambda w: (-whats[w], w)) if whats else None,
                date=min(dates, key=lambda d: (-dates[d], d)) if dates else None,
                articles=tuple(dict.fromkeys(a.id for a, _ in items)),
                spans=tuple(_span(a, v.mentions[0]) for a, v in items if v.mentions),
            )
        )
    happenings.sort(key=lambda h: (h.date or "9999", h.venue))
    return tuple(happenings)


def _disagreement(
    field: str, about: str, stated: dict[str, tuple[str, list[str], list[SourceSpan]]]
) -> list[FactConflict]:
    """A conflict when two or more distinct values are stated, by different articles."""
    if len(stated) < 2:
        return []
    all_ids = {i for _, ids, _ in stated.values() for i in ids}
    if len(all_ids) < 2:
        return []
    values = tuple(
        Attested(label, tuple(dict.fromkeys(ids)), tuple(spans))
        for label, ids, spans in sorted(stated.values(), key=lambda v: (-len(set(v[1])), v[0]))
    )
    return [FactConflict(field=field, about=about, values=values)]


def _role_conflicts(
    articles: Sequence[Article], parties: Sequence[EventParty]
) -> list[FactConflict]:
    conflicts = []
    for party in parties:
        if party.kind != "person" or len(party.roles) < 2:
            continue
        stated = {
            _norm(r.value): (r.value, list(r.articles), list(r.spans)) for r in party.roles
        }
        conflicts += _disagreement(f"role:{party.id}", f"{party.name}'s title", stated)
    return conflicts


def _fact_conflicts(articles: Sequence[Article]) -> list[FactConflict]:
    grouped: dict[tuple[str, str], dict[str, tuple[str, list[str], list[SourceSpan]]]] = (
        defaultdict(dict)
    )
    for article in articles:
        for fact in article.facts:
            slot = grouped[(fact.kind, fact.about)]
            label, ids, spans = slot.get(_norm(fact.value), (fact.value, [], []))
            ids.append(article.id)
            spans.append(_span(article, fact.mention))
            slot[_norm(fact.value)] = (label, ids, spans)
    conflicts = []
    for (kind, about), stated in sorted(grouped.items()):
        what = f"length of the {about}" if kind == "duration" else f"{kind} of the {about}"
        conflicts += _disagreement(f"{kind}:{about}", what, stated)
    return conflicts


def _happening_date_conflicts(
    articles: Sequence[Article], related: Sequence[Happening]
) -> list[FactConflict]:
    conflicts = []
    for happening in related:
        stated: dict[str, tuple[str, list[str], list[SourceSpan]]] = {}
        for article in articles:
            for venue in article.venues:
                if venue.id == happening.venue_id and venue.date:
                    label, ids, spans = stated.get(venue.date, (venue.date, [], []))
                    ids.append(article.id)
                    if venue.mentions:
                        spans.append(_span(article, venue.mentions[0]))
                    stated[venue.date] = (label, ids, spans)
        noun = "meeting" if happening.what and "meet" in happening.what else "happening"
        if happening.what and "talks" in happening.what:
            noun = "talks"
        about = f"date of the {happening.venue} {noun}"
        conflicts += _disagreement(f"date:{happening.venue_id}", about, stated)
    return conflicts


def _primary_conflicts(
    articles: Sequence[Article], mains: dict[str, Venue | None], venue: Venue | None
) -> list[FactConflict]:
    """Articles that place the main happening elsewhere, or on another day."""
    places: dict[str, tuple[str, list[str], list[SourceSpan]]] = {}
    dates: dict[str, tuple[str, list[str], list[SourceSpan]]] = {}
    for article in articles:
        main = mains.get(article.id)
        if main is None:
            continue
        label, ids, spans = places.get(main.id, (main.name, [], []))
        places[main.id] = (label, [*ids, article.id], spans)
        if venue is not None and main.id == venue.id and main.date:
            label, ids, spans = dates.get(main.date, (main.date, [], []))
            dates[main.date] = (label, [*ids, article.id], spans)
    return _disagreement("venue", "where it happened", places) + _disagreement(
        "date", "when it happened", dates
    )


def _demands(articles: Sequence[Article]) -> tuple[EventDemand, ...]:
    """One record per claimant, stance and action; near-identical wordings fold together."""
    groups: list[dict[str, Any]] = []
    for article in articles:
        for demand in article.demands:
            words = _content_words(demand.action)
            match = next(
                (
                    g for g in groups
                    if g["claimant"] == demand.claimant and g["stance"] == demand.stance
                    and g["negated"] == demand.negated and _jaccard(g["words"], words) >= 0.5
                ),
                None,
            )
            if match is None:
                match = {"claimant": demand.claimant, "stance": demand.stance,
                         "negated": demand.negated, "words": words, "actions": Counter(),
                         "addressees": Counter(), "cues": Counter(), "articles": [], "spans": []}
                groups.append(match)
            match["actions"][demand.action] += 1
            match["cues"][demand.cue] += 1
            if demand.addressee:
                match["addressees"][demand.addressee] += 1
            match["articles"].append(article.id)
            match["spans"].append(_span(article, demand.sentence))
    demands = [
        EventDemand(
            claimant=g["claimant"],
            addressee=_top(g["addressees"]),
            action=_top(g["actions"]) or "",
            stance=g["stance"],
            cue=_top(g["cues"]) or "",
            negated=g["negated"],
            articles=tuple(dict.fromkeys(g["articles"])),
            spans=tuple(g["spans"]),
        )
        for g in groups
    ]
    demands.sort(key=lambda d: (-len(d.articles), d.claimant, d.action))
    return tuple(demands)


def _title(
    articles: Sequence[Article],
    venue: Venue | None,
    date: Attested | None,
    parties: Sequence[EventParty],
) -> str:
    actors = [p.name for p in parties if p.kind != "person"][:2]
    if venue is not None:
        what = (venue.what or "events").strip()
        title = f"{what[:1].upper()}{what[1:]} in {venue.name}"
        if actors and not all(a in title for a in actors):
            title += ": " + " and ".join(actors)
        return f"{title} ({date.value})" if date else title
    first = next((a.title for a in articles if a.title), None)
    if first:
        return first
    return " and ".join(actors) or articles[0].text[:80]


def _type(articles: Sequence[Article], venue: Venue | None) -> str | None:
    """What happened: the main venue's "what", else the main action most articles lead
    with (the action class assignment compares, :func:`indexer.events.happening.kind`),
    else the action words of the leads."""
    if venue is not None and venue.what:
        for word in _WORD.findall(venue.what.lower()):
            if word in _TYPE_BY_WORD:
                return _TYPE_BY_WORD[word]
    kinds = Counter(k for k in (facets.kind(a) for a in articles) if k)
    if kinds:
        return _top(kinds)
    votes: Counter[str] = Counter()
    for article in articles:
        lead = f"{article.title or ''} {article.text[:400]}".lower()
        for word in _WORD.findall(lead):
            if word in _TYPE_BY_WORD:
                votes[_TYPE_BY_WORD[word]] += 1
    return _top(votes)


def _top(counts: Counter[str]) -> str | None:
    return min(counts, key=lambda k: (-counts[k], k)) if counts else None


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _content_words(text: str) -> frozenset[str]:
    """Comparable words of an action: synonyms unified, then cut to a five-letter stem."""
    words = (_SYNONYMS.get(w, w) for w in _WORD.findall(text.lower()) if w not in _STOP)
    return frozenset(w[:5] for w in words)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0

"""Which event does a new article belong to? Signatures, their similarity, and the choice.

An event is one happening: one action, on one day, at one place, by its actors. An article
is matched on a small :class:`Signature`: rarity-weighted terms, the parties, venues, places
and figures its articles name, and the facets of its happening that
:mod:`indexer.events.happening` reads from the text — its own day (not the publication
day), its main action, its main place and the people its lead names. Text and names say
*what the story is about*; the facets say *which happening*: a running story's next meeting
has the same actors and words, but another day, place and kind of action, and twin
happenings (two earthquakes in one region, two arrests of one team's players) differ in
their day, place, people or figures. Everything here is pure so the store can retrieve
candidates and persist signatures itself.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from indexer.events import happening
from indexer.events import terms as t
from indexer.models import Article

THRESHOLD: float = 0.25
"""Lowest :func:`similarity` at which an article joins an existing event (tuned on ECB+)."""

ARTICLE_TERMS = 80
EVENT_TERMS = 150
MAX_IDS = 40
MAX_DAYS = 20
LEAD_CHARS = 400
LEAD_REPEAT = 2
"""The lead states the happening: its words count three times, the background below it once."""

# Raw weights of what the texts share (tuned on ECB+); the score is divided by their sum (and
# the same-day bonus) so that a perfect match scores 1.
W_TEXT = 1.0
W_PARTIES = 0.05
W_PLACES = 0.10
W_NUMBERS = 0.20

# When (see date_adjustment). Both happening days known, from the texts:
SAME_DAY = 0.05
"""The same happening day: a small bonus (two happenings can share a day)."""
NEXT_DAY = 0.0
TWO_DAYS = 0.05
"""A day or two apart is not strong evidence: "late Friday" and "early Saturday", a report
resolved against a dateline, a two-day meeting; two days costs a little."""
DAYS_APART = 0.30
"""More than two days apart: strong evidence of two happenings (a report with the same people
and words on another day is the next happening of a running story; only text far closer
than two reports of one happening usually are keeps it above the threshold)..."""
WEEKS_APART = 0.40
"""...and stronger still more than a week apart."""
# One side known only by its reference day (publication or dateline): news reports a
# happening the same day or the next; a report days later is a follow-up (weak evidence of
# another happening), one outside the days a report can be about (happening.PAST_WINDOW
# before, a day after) is evidence against.
IN_WINDOW = 0.02
LATE_REPORT = 2
"""A report (without a day of its own) up to this many days after the event's day is in
its window; three days on, in a running story of daily happenings, it is more often the
next happening's (MEANTIME: markets on 6 and 9 October 2008)."""
WINDOW_LATE = 0.05
WINDOW_DAYS = 0.25
"""Outside the window by up to a week..."""
FAR_APART = 0.40
"""...and by more (also: reference days only, more than 30 days apart)."""
WEEK_APART = 0.20
"""Reference days only, 8 to 30 days apart."""
# Undated articles (no publication date, no dateline) naming the weekday of the happening:
WEEKDAY_MATCH = 0.02
WEEKDAY_CONFLICT = 0.05
YEAR_CONFLICT = 0.10
"""The years of the two happenings (their days', their leads') do not meet at all."""

# What, where, who (see identity_adjustment).
KIND_CONFLICT = 0.05
"""Another main action (an arrest and a sentence; talks and a summit): mild evidence alone,
since outlets name one happening differently."""
BOTH_CONFLICT = 0.40
"""Another main action at another main place, on another day: strong evidence (the next
meeting of a running story)."""
NEAR_KM = 100.0
"""Two main places closer than this (Troy and Detroit) are one place for telling happenings
apart; so are a country or region and a place in it, and places the gazetteer does not know
(the facet is then unknown, not a conflict)."""
MAIN_SHARE = 0.34
"""An event's main place or action is that of at least this share of its articles."""
WHO_CONFLICT = 0.10
"""The article's lead names people the event's leads never name, and names none of the
people leading at least KEY_SHARE of the event's articles: a twin."""
KEY_SHARE = 0.5

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"(?:1[5-9]|20)\d\d")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")
SCHEMA = 1
DECIMALS = 6


@dataclass(frozen=True)
class Signature:
    """What an event (or one article) is matched on; JSON-ready via to_dict/from_dict, < 8 KB.

    ``terms`` is a sum of unit article vectors (so an event's is its centroid times ``count``);
    the id and date maps count how many articles name each key.
    """

    terms: dict[str, float] = field(default_factory=dict)
    parties: dict[str, int] = field(default_factory=dict)
    venues: dict[str, int] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)
    years: dict[str, int] = field(default_factory=dict)
    published: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    happened: dict[str, int] = field(default_factory=dict)
    reference: dict[str, int] = field(default_factory=dict)
    weekdays: dict[str, int] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    wheres: dict[str, int] = field(default_factory=dict)
    geo: dict[str, str] = field(default_factory=dict)
    count: int = 1

    @functools.cached_property
    def terms_norm(self) -> float:
        """The length of ``terms``, computed once: a signature is scored against dozens."""
        return t.norm(self.terms)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON; weights are already rounded, so a stored signature scores as the live one."""
        return {
            "schema": SCHEMA,
            "terms": _rounded(self.terms),
            "parties": dict(self.parties),
            "venues": dict(self.venues),
            "places": dict(self.places),
            "days": dict(self.days),
            "years": dict(self.years),
            "published": dict(self.published),
            "numbers": dict(self.numbers),
            "happened": dict(self.happened),
            "reference": dict(self.reference),
            "weekdays": dict(self.weekdays),
            "actors": dict(self.actors),
            "names": dict(self.names),
            "kinds": dict(self.kinds),
            "wheres": dict(self.wheres),
            "geo": dict(self.geo),
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        """Inverse of :meth:`to_dict`; missing keys default so older records still load."""

        def ints(key: str) -> dict[str, int]:
            return {str(k): int(v) for k, v in dict(data.get(key) or {}).items()}

        return cls(
            terms={str(k): float(v) for k, v in dict(data.get("terms") or {}).items()},
            parties=ints("parties"),
            venues=ints("venues"),
            places=ints("places"),
            days=ints("days"),
            years=ints("years"),
            published=ints("published"),
            numbers=ints("numbers"),
            happened=ints("happened"),
            reference=ints("reference"),
            weekdays=ints("weekdays"),
            actors=ints("actors"),
            names=ints("names"),
            kinds=ints("kinds"),
            wheres=ints("wheres"),
            geo={str(k): str(v) for k, v in dict(data.get("geo") or {}).items()},
            count=int(data.get("count", 1)),
        )


#: Decoded signatures by the identity of the stored dict they came from (see :func:`decoded`).
_DECODED: dict[int, tuple[Mapping[str, Any], Signature]] = {}
_DECODED_MAX = 4096


def decoded(data: Mapping[str, Any] | None) -> Signature:
    """:meth:`Signature.from_dict`, remembered for the dicts decoded lately.

    One assignment scores the same candidates' signatures as the one before it (a batch
    scores each of its events against every later article), and decoding was half of the
    scoring. Keyed by identity: the entry holds the dict, so its id cannot be reused while
    cached, and stored signature dicts are never changed in place (records are frozen;
    a new signature is a new dict). Cleared when full, which threads may race on harmlessly.
    """
    if not data:
        return Signature.from_dict({})
    hit = _DECODED.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    if len(_DECODED) >= _DECODED_MAX:
        _DECODED.clear()
    found = Signature.from_dict(data)
    _DECODED[id(data)] = (data, found)
    return found


def _rounded(terms: Mapping[str, float]) -> dict[str, float]:
    """Six decimals everywhere: JSON round-trips exactly and stays small."""
    return {k: round(v, DECIMALS) for k, v in terms.items()}


def _text_vector(article: Article) -> tuple[Mapping[str, float], Mapping[str, str]]:
    """Raw weighted terms of title + lead (twice) + body, and each stem's commonest surface."""
    return _text_vector_of(article.title or "", article.text)


@functools.lru_cache(maxsize=512)
def _text_vector_of(title: str, text: str) -> tuple[Mapping[str, float], Mapping[str, str]]:
    """Kept for the last few hundred texts (read-only): one assignment needs an article's
    vector for its retrieval terms, its signature and its event's split checks, and counting
    terms is most of the CPU an assignment costs."""
    head = text[:LEAD_CHARS]
    parts = [title, title, *[head] * LEAD_REPEAT, text]
    stems, surfaces = t.counts("\n".join(parts))
    vec = t.vector(stems, surfaces)
    best = {k: t.commonest(forms) for k, forms in surfaces.items()}
    return MappingProxyType(vec), MappingProxyType(best)


def _day(value: str | None) -> date | None:
    if not value or not _DAY.match(value):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _when(
    article: Article, found: happening.When
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """The happening and reference days, the years the article's happening can be in (its
    days' and the lead's: years deep in the text are mostly history), its publication day."""
    days = [d.isoformat() for d in (found.day, found.reference) if d is not None]
    years: set[str] = {str(d.year) for d in (found.day, found.reference) if d is not None}
    _, lead_end = happening.lead_span(article)
    for ref in article.dates:
        if not ref.resolved or not ref.value or ref.start >= lead_end:
            continue
        year = ref.value[:4]
        if _YEAR.fullmatch(year) and ref.granularity in ("day", "month", "year", "time"):
            years.add(year)
    published = _day(article.published_at)
    pub = {published.isoformat(): 1} if published is not None else {}
    return dict.fromkeys(dict.fromkeys(days), 1), dict.fromkeys(sorted(years), 1), pub


def _numbers(article: Article) -> dict[str, int]:
    """Specific figures (death tolls, magnitudes, ages, sums): the details that tell twins apart."""
    text = f"{article.title or ''}\n{article.text}"
    found = dict.fromkeys(n.replace(",", "") for n in _NUMBER.findall(text) if len(n) >= 2)
    return dict.fromkeys(sorted(list(found)[:MAX_IDS]), 1)


def signature(article: Article) -> Signature:
    """The article's own signature: pure, and a few milliseconds after the vocabulary loads."""
    vec, _ = _text_vector(article)
    found = happening.when(article)
    days, years, published = _when(article, found)
    return Signature(
        terms=_rounded(t.normalise(vec, ARTICLE_TERMS)),
        parties=dict.fromkeys(sorted({p.id for p in article.parties})[:MAX_IDS], 1),
        venues=dict.fromkeys(sorted({v.id for v in article.venues})[:MAX_IDS], 1),
        places=dict.fromkeys(sorted({p.id for p in article.places})[:MAX_IDS], 1),
        days=days,
        years=years,
        published=published,
        numbers=_numbers(article),
        happened={found.day.isoformat(): 1} if found.day else {},
        reference={found.reference.isoformat(): 1} if found.reference else {},
        weekdays={str(found.weekday): 1} if found.weekday is not None else {},
        actors=dict.fromkeys(sorted(happening.who(article))[:MAX_IDS], 1),
        names=dict.fromkeys(sorted(happening.named_people(article))[:MAX_IDS * 2], 1),
        kinds={kind: 1} if (kind := happening.kind(article)) else {},
        wheres={where.id: 1} if (where := happening.where_place(article)) else {},
        geo={where.id: happening.geo_key(where) or ""} if where else {},
        count=1,
    )


def _add(a: Mapping[str, int], b: Mapping[str, int], limit: int) -> dict[str, int]:
    merged = dict(a)
    for key, value in b.items():
        merged[key] = merged.get(key, 0) + value
    top = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return dict(sorted(top))


def combine(event: Signature, article: Signature) -> Signature:
    """The event's signature once ``article`` has joined: counts add, terms sum and are capped.

    Sums commute, so the result depends on input order only through the caps (rarely hit).
    """
    summed = dict(event.terms)
    for key, value in article.terms.items():
        summed[key] = summed.get(key, 0.0) + value
    top = sorted(summed.items(), key=lambda kv: (-kv[1], kv[0]))[:EVENT_TERMS]
    return Signature(
        terms=_rounded(dict(sorted(top))),
        parties=_add(event.parties, article.parties, MAX_IDS),
        venues=_add(event.venues, article.venues, MAX_IDS),
        places=_add(event.places, article.places, MAX_IDS * 2),
        days=_add(event.days, article.days, MAX_DAYS),
        years=_add(event.years, article.years, MAX_DAYS),
        published=_add(event.published, article.published, MAX_DAYS),
        numbers=_add(event.numbers, article.numbers, MAX_IDS * 2),
        happened=_add(event.happened, article.happened, MAX_DAYS),
        reference=_add(event.reference, article.reference, MAX_DAYS),
        weekdays=_add(event.weekdays, article.weekdays, 7),
        actors=_add(event.actors, article.actors, MAX_IDS),
        names=_add(event.names, article.names, MAX_IDS * 3),
        kinds=_add(event.kinds, article.kinds, MAX_DAYS),
        wheres=(wheres := _add(event.wheres, article.wheres, MAX_DAYS)),
        geo={k: v for k, v in {**article.geo, **event.geo}.items() if k in wheres},
        count=event.count + article.count,
    )


def _overlap(article: Mapping[str, int], event: Mapping[str, int], count: int) -> float:
    """Cosine of the article's id set with the event's id shares (fraction of its articles)."""
    if not article or not event:
        return 0.0
    shares = {k: v / max(count, 1) for k, v in event.items()}
    dot = sum(shares.get(k, 0.0) for k in article)
    if dot == 0.0:
        return 0.0
    norm = math.sqrt(len(article)) * math.sqrt(sum(s * s for s in shares.values()))
    return min(1.0, dot / norm)


def _anchor(days: Mapping[str, int]) -> list[str]:
    """The days most articles give; ties keep the earliest, so an event cannot drift by chaining."""
    if not days:
        return []
    top = max(days.values())
    return [min(d for d, n in days.items() if n == top)]


def _lag(day: date, reference: date) -> int:
    """Days from a happening to a report of it: positive when the report came after."""
    return (reference - day).days


def _first(days: Mapping[str, int]) -> date | None:
    return min((d for d in (_day(x) for x in days) if d is not None), default=None)


def _top_day(days: Mapping[str, int]) -> date | None:
    anchor = _anchor(days)
    return _day(anchor[0]) if anchor else None


def _weekday_of(days: Mapping[str, int]) -> int | None:
    if not days:
        return None
    top = max(days.values())
    return int(min(d for d, n in days.items() if n == top))


def when_gap(article: Signature, event: Signature) -> tuple[str, int] | None:
    """How far apart the article's happening and the event's are, and how sure that is.

    ``("day", n)``: both happening days are known, ``n`` days apart. ``("window", n)``: one
    side only has its reference day; ``n`` is how many days after the other's happening day
    it was reported (negative: before). ``("reference", n)``: only reference days, ``n``
    apart. ``("weekday", n)``: one side only names a weekday, ``n`` the distance (0..3) to
    the other's day's weekday.
    None: nothing to compare. The event's day is the one most of its articles give (ties
    keep the earliest) and its reference its first, so an event cannot drift by chaining.
    """
    a_day, e_day = _top_day(article.happened), _top_day(event.happened)
    a_ref, e_ref = _first(article.reference), _first(event.reference)
    if a_day and e_day:
        return "day", abs((a_day - e_day).days)
    if a_day and e_ref:
        return "window", _lag(a_day, e_ref)
    if e_day and a_ref:
        return "window", _lag(e_day, a_ref)
    if a_ref and e_ref:
        return "reference", abs((a_ref - e_ref).days)
    a_wd, e_wd = _weekday_of(article.weekdays), _weekday_of(event.weekdays)
    known = e_day or e_ref if a_wd is not None else a_day or a_ref
    named = a_wd if a_wd is not None else e_wd
    if known is not None and named is not None:
        diff = abs(known.weekday() - named) % 7
        return "weekday", min(diff, 7 - diff)
    return None


def date_adjustment(article: Signature, event: Signature) -> float:
    """Bonus for the same day, penalty for days apart: this is what splits occurrences.

    An event is one happening: two happening days more than a day or two apart are strong
    evidence of two happenings, however alike the text; a report dated outside the days it
    could be about is evidence too, but weaker (reports come days after the fact).
    """
    gap = when_gap(article, event)
    adjust = 0.0
    if gap is not None:
        kind, n = gap
        adjust += _DATE_RULES[kind](n)
    if article.years and event.years and not set(article.years) & set(event.years):
        adjust -= YEAR_CONFLICT
    return adjust


def _day_rule(n: int) -> float:
    if n == 0:
        return SAME_DAY
    if n == 1:
        return NEXT_DAY
    if n == 2:
        return -TWO_DAYS
    return -DAYS_APART if n <= 7 else -WEEKS_APART


def _window_rule(lag: int) -> float:
    if -happening.FUTURE_WINDOW <= lag <= LATE_REPORT:
        return IN_WINDOW  # reported within days (or dated on its eve): what news does
    if LATE_REPORT < lag <= happening.PAST_WINDOW:
        return -WINDOW_LATE  # a report well after the fact: often a follow-up
    if -8 <= lag <= happening.PAST_WINDOW + 7:
        return -WINDOW_DAYS
    return -FAR_APART


def _reference_rule(n: int) -> float:
    if n <= 2:
        return SAME_DAY
    if n > 30:
        return -FAR_APART
    if n > 7:
        return -WEEK_APART
    return 0.0


def _weekday_rule(n: int) -> float:
    if n == 0:
        return WEEKDAY_MATCH
    if n == 1:
        return 0.0
    return -WEEKDAY_CONFLICT


_DATE_RULES = {
    "day": _day_rule, "window": _window_rule, "reference": _reference_rule,
    "weekday": _weekday_rule,
}


def key_actors(event: Signature) -> set[str]:
    """The people the leads of at least half of the event's articles name."""
    need = max(1.0, KEY_SHARE * event.count)
    return {name for name, n in event.actors.items() if n >= need}


def who_conflict(article: Signature, event: Signature) -> bool:
    """The article's lead names people the event never names, and names none of its own.

    Twin happenings of one kind (two DUI arrests of one team's players, two title fights of
    one champion) share every word but the people they happen to; one happening's reports
    name the same people, if not always in the lead.
    """
    key = key_actors(event)
    if not key or not article.actors:
        return False
    return not key & set(article.names) and not set(article.actors) & set(event.actors)


def _shares(counts: Mapping[str, int], total: int) -> dict[str, float]:
    return {k: v / max(total, 1) for k, v in counts.items()}


def where_match(article: Signature, event: Signature) -> str | None:
    """"same" when the article's main place is the event's (the main place of at least
    MAIN_SHARE of its articles, or its commonest), "other" when it is not, None unknown.

    Naming the other place does not make it the same: a running story's next report
    recalls the last meeting's city, and the last meeting's reports announce the next.
    Another place is only "other" when the two are known apart (:data:`NEAR_KM`): Troy,
    Detroit and Michigan are one place here, a place the gazetteer does not know tells
    nothing. (Signatures stored before places had coordinates compare ids alone.)
    """
    if not article.wheres or not event.wheres:
        return None
    mine = next(iter(article.wheres))
    shares = _shares(event.wheres, event.count)
    top = _top(event.wheres)
    if shares.get(mine, 0.0) >= MAIN_SHARE or mine == top:
        return "same"
    if mine not in article.geo or top not in event.geo:
        return "other"
    apart = happening.distinct_places(article.geo[mine] or None, event.geo[top] or None,
                                      NEAR_KM)
    if apart is None:
        return None
    return "other" if apart else "same"


def kind_match(article: Signature, event: Signature) -> str | None:
    """"same" or "conflict" between the article's main action class and the event's."""
    if not article.kinds or not event.kinds:
        return None
    mine = next(iter(article.kinds))
    shares = _shares(event.kinds, event.count)
    if shares.get(mine, 0.0) >= MAIN_SHARE or mine == _top(event.kinds):
        return "same"
    return "conflict"


def _top(counts: Mapping[str, int]) -> str | None:
    return min(counts, key=lambda k: (-counts[k], k)) if counts else None


def identity_adjustment(article: Signature, event: Signature) -> float:
    """What, where and who: the facets that tell one happening from its neighbours.

    Another main action is mild evidence of another happening; another main action at
    another main place on another day is strong evidence (the next meeting of a running
    story: same actors, same words). Different people in the lead is evidence of a twin
    (the same kind of happening, to someone else). Same actors are never evidence *for*.
    """
    adjust = 0.0
    kind = kind_match(article, event)
    if kind == "conflict":
        adjust -= KIND_CONFLICT
        if where_match(article, event) == "other":
            gap = when_gap(article, event)
            if gap is not None and gap[0] != "weekday" and gap[1] >= 1:
                adjust -= BOTH_CONFLICT
    if who_conflict(article, event):
        adjust -= WHO_CONFLICT
    return adjust


def similarity(article: Signature, event: Signature) -> float:
    """How likely ``article`` reports the happening ``event`` stands for, in 0..1."""
    text = t.cosine(article.terms, event.terms, article.terms_norm, event.terms_norm)
    parties = _overlap(article.parties, event.parties, event.count)
    places = _overlap({**article.places, **article.venues},
                      _add(event.places, event.venues, MAX_IDS * 3), event.count)
    numbers = _overlap(article.numbers, event.numbers, event.count)
    score = W_TEXT * text + W_PARTIES * parties + W_PLACES * places + W_NUMBERS * numbers
    score += date_adjustment(article, event) + identity_adjustment(article, event)
    scale = W_TEXT + W_PARTIES + W_PLACES + W_NUMBERS + SAME_DAY
    return max(0.0, min(1.0, score / scale))


def choose(
    article: Signature,
    candidates: Sequence[tuple[str, Signature]],
    threshold: float | None = None,
) -> str | None:
    """The best-matching event id at or above the threshold, or None for a new event.

    Scores are rounded before comparing so float noise cannot flip a tie; ties go to the
    smallest id, so the same inputs always give the same answer whatever their order.
    """
    limit = THRESHOLD if threshold is None else threshold
    best: tuple[float, str] | None = None
    for event_id, sig in candidates:
        score = round(similarity(article, sig), 9)
        if score < limit:
            continue
        if best is None or (-score, event_id) < (-best[0], best[1]):
            best = (score, event_id)
    return None if best is None else best[1]


def retrieval_terms(article: Article, limit: int = 25) -> list[str]:
    """Distinctive words (lower-case surface forms, names included), best first, for an OR query.

    Only plain words and years, so they are safe in FTS5 and Elasticsearch once quoted.
    """
    vec, surfaces = _text_vector(article)
    ranked = sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))
    out: list[str] = []
    for key, _ in ranked:
        word = surfaces[key]
        if word.isdigit() and not _YEAR.fullmatch(word):
            continue
        if not word.replace("'", "").isalnum() or "'" in word:
            continue
        out.append(word)
        if len(out) >= limit:
            break
    return out

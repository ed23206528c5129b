"""Which event does a new article belong to? Signatures, their similarity, and the choice.

An event is matched on a small :class:`Signature`: rarity-weighted terms, the parties,
venues and places its articles name, and when it happened. Text and names say *what*;
dates say *which occurrence* — two earthquakes in one region, or two rounds of the same
talks months apart, read alike but are kept apart by their dates and specific details.
Everything here is pure so the store can retrieve candidates and persist signatures itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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

# Raw weights, tuned on ECB+ (grid over places, numbers, year penalty, name boost, threshold);
# the score is divided by their sum so a perfect match on every signal scores 1.
W_TEXT = 1.0
W_PARTIES = 0.05
W_PLACES = 0.10
W_NUMBERS = 0.20
SAME_DAY = 0.05
YEAR_CONFLICT = 0.10
WEEK_APART = 0.20
FAR_APART = 0.40

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
    count: int = 1

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
            count=int(data.get("count", 1)),
        )


def _rounded(terms: Mapping[str, float]) -> dict[str, float]:
    """Six decimals everywhere: JSON round-trips exactly and stays small."""
    return {k: round(v, DECIMALS) for k, v in terms.items()}


def _text_vector(article: Article) -> tuple[dict[str, float], dict[str, str]]:
    """Raw weighted terms of title + lead (twice) + body, and each stem's commonest surface."""
    head = article.text[:LEAD_CHARS]
    parts = [article.title or "", article.title or "", *[head] * LEAD_REPEAT, article.text]
    stems, surfaces = t.counts("\n".join(parts))
    vec = t.vector(stems, surfaces)
    best = {k: forms.most_common(1)[0][0] for k, forms in surfaces.items()}
    return vec, best


def _day(value: str | None) -> date | None:
    if not value or not _DAY.match(value):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _when(article: Article) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Candidate event days, years and the publication day of one article.

    With a publication date, only days from ten days before to two after it are candidates
    (background dates are history, not this happening); without one, absolute dates in text
    order are all we have, so keep the first few.
    """
    published = _day(article.published_at)
    days: list[date] = []
    years: set[str] = set()
    for venue in article.venues:
        day = _day(venue.date)
        if day is not None:
            days.append(day)
    for ref in article.dates:
        if not ref.resolved or not ref.value:
            continue
        year = ref.value[:4]
        if _YEAR.fullmatch(year) and ref.granularity in ("day", "month", "year", "time"):
            years.add(year)
        day = _day(ref.value)
        if day is not None:
            days.append(day)
    if published is not None:
        days = [d for d in days if -10 <= (d - published).days <= 2]
        days.append(published)
        years.add(str(published.year))
    unique = list(dict.fromkeys(d.isoformat() for d in days))[:4]
    pub = {published.isoformat(): 1} if published is not None else {}
    return dict.fromkeys(unique, 1), dict.fromkeys(sorted(years), 1), pub


def _numbers(article: Article) -> dict[str, int]:
    """Specific figures (death tolls, magnitudes, ages, sums): the details that tell twins apart."""
    text = f"{article.title or ''}\n{article.text}"
    found = dict.fromkeys(n.replace(",", "") for n in _NUMBER.findall(text) if len(n) >= 2)
    return dict.fromkeys(sorted(list(found)[:MAX_IDS]), 1)


def signature(article: Article) -> Signature:
    """The article's own signature: pure, and a few milliseconds after the vocabulary loads."""
    vec, _ = _text_vector(article)
    days, years, published = _when(article)
    return Signature(
        terms=_rounded(t.normalise(vec, ARTICLE_TERMS)),
        parties=dict.fromkeys(sorted({p.id for p in article.parties})[:MAX_IDS], 1),
        venues=dict.fromkeys(sorted({v.id for v in article.venues})[:MAX_IDS], 1),
        places=dict.fromkeys(sorted({p.id for p in article.places})[:MAX_IDS], 1),
        days=days,
        years=years,
        published=published,
        numbers=_numbers(article),
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


def _gap(a: Iterable[str], b: Iterable[str]) -> int | None:
    """Smallest distance in days between any day of ``a`` and any of ``b``."""
    left = [d for d in (_day(x) for x in a) if d is not None]
    right = [d for d in (_day(x) for x in b) if d is not None]
    if not left or not right:
        return None
    return min(abs((x - y).days) for x in left for y in right)


def _anchor(days: Mapping[str, int]) -> list[str]:
    """The days most articles give; ties keep the earliest, so an event cannot drift by chaining."""
    if not days:
        return []
    top = max(days.values())
    return [min(d for d, n in days.items() if n == top)]


def date_adjustment(article: Signature, event: Signature) -> float:
    """Bonus for the same days, penalty for far-apart ones: this is what splits occurrences.

    Publication dates are compared with the event's *first* one, not its latest, so a month
    of daily market reports does not chain into one event.
    """
    gap = _gap(article.published, [min(event.published)] if event.published else [])
    if gap is None:
        gap = _gap(article.days, _anchor(event.days))
    adjust = 0.0
    if gap is not None:
        if gap <= 2:
            adjust += SAME_DAY
        elif gap > 30:
            adjust -= FAR_APART
        elif gap > 7:
            adjust -= WEEK_APART
    if article.years and event.years and not set(article.years) & set(event.years):
        adjust -= YEAR_CONFLICT
    return adjust


def similarity(article: Signature, event: Signature) -> float:
    """How likely ``article`` reports the happening ``event`` stands for, in 0..1."""
    text = t.cosine(article.terms, event.terms)
    parties = _overlap(article.parties, event.parties, event.count)
    places = _overlap({**article.places, **article.venues},
                      _add(event.places, event.venues, MAX_IDS * 3), event.count)
    numbers = _overlap(article.numbers, event.numbers, event.count)
    score = W_TEXT * text + W_PARTIES * parties + W_PLACES * places + W_NUMBERS * numbers
    score += date_adjustment(article, event)
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

"""What one article reports: when its happening took place, what kind it is, where and who.

An event is one happening: one action (its type), on one day, at one place, by its actors.
These pure functions read that from an extracted :class:`Article` so that assignment,
stories and splits reason about the same things:

* :func:`when` — the happening's own day, resolved from the text (the main venue's date, or
  the date the lead gives the reported action), never simply the publication date; the
  publication day (or, without one, a dateline or a dated URL) is only the reference the
  text's relative dates ("yesterday", "on Sunday") are resolved against.
* :func:`kind` — the main action class ("talks", "arrest", "death"...) from the title and lead.
* :func:`where` — the main venue, else the first place named in the lead.
* :func:`who` — the names the lead gives the actors (surnames and organisation names).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from indexer.models import Article, DateRef, Place, Venue

LEAD_CHARS = 400
"""The lead: the title and the first sentences, where news states the happening itself."""
HEADER_LINES = 6
"""Lines at the top that may be a URL, a byline or a dateline rather than text."""
PAST_WINDOW = 10
"""A reported happening lies at most this many days before its reference day..."""
FUTURE_WINDOW = 1
"""...and at most this many after it (a dated article reports what has happened)."""

_URL_LINE = re.compile(r"^\s*(?:https?:|www\.)\S*", re.I)
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_URL_DATE = (
    # "/2009/Feb/02/", "/2012/08/07/slug": a day ends its path segment ("/2013/08/5-thoughts"
    # is a month's page whose slug starts with a number)
    re.compile(r"/((?:19|20)\d\d)/(\d{1,2}|" + _MON + r")/(\d{1,2})(?=[/_.?#&]|$)", re.I),
    # "/2013-05-04/", "/2009-02-03-williams-arrested"
    re.compile(r"/((?:19|20)\d\d)-(\d{1,2}|" + _MON + r")-(\d{1,2})(?=[/\-_.?#&]|$)", re.I),
    # "ymd=20081216", "/20090203/"
    re.compile(r"(?<![\d.])((?:19|20)\d\d)(0[1-9]|1[0-2]())([0-2]\d|3[01])(?![\d.])"),
)
_URL_MONTH = re.compile(r"/((?:19|20)\d\d)[/-](\d{1,2}|" + _MON + r")(?=[/-])", re.I)
_DATELINE = (
    # "May 03, 2013", "FEB. 2, 2009", "Tuesday, August 7, 2012", "December 15th, 2008"
    re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I),
    # "9 September 2013", "18 September 2013 Last updated"
    re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MON + r",?\s+((?:19|20)\d\d)\b", re.I),
    # "2013-05-03", "2012.08.08"
    re.compile(r"\b((?:19|20)\d\d)(?:-|\.\s?)(\d\d)(?:-|\.\s?)(\d\d)\b"),
    # "2/3/2009", "01/5/2011", "8/2/13" (month first, as US sites write it, unless the URL
    # says otherwise or the first number cannot be a month: "14/09/2013")
    re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d\d|\d\d)\b"),
    # "08.07.2012" (day first, as European sites write it)
    re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?((?:19|20)\d\d)\b"),
)
_WORD = re.compile(r"[A-Za-z]{2,}")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b", re.I)
_REPORTING = frozenset({
    "say", "tell", "report", "add", "confirm", "state", "post", "update", "write", "publish",
    "quote", "according", "note", "explain",
})  # fmt: skip
"""Heads of dates that date the report ("police said Saturday"), not the happening."""
DATELINE_WORDS = 8
"""A dateline line holds the date and at most this many other words ("Posted", "Updated")."""
_HEADER_WORDS = frozenset({
    "am", "pm", "at", "on", "by", "posted", "published", "updated", "last", "first",
    "originally", "created", "edited", "modified", "time", "hrs", "date", "release", "and",
    *(w[:3] for w in _WEEKDAYS), *_WEEKDAYS, "tues", "thur", "thurs",
    *_MONTHS, "sept", "january", "february", "march", "april", "june", "july", "august",
    "september", "october", "november", "december",
})  # fmt: skip
"""The lower-case words a dateline may hold besides the date ("Posted on", "Last updated at
5:40 p.m."): names (a place, an outlet, time zones) are written with capitals. A line with
other lower-case words is a sentence ("Page was born on April 22, 1923, in Nashville"),
and its date dates something it tells, not the report."""


@dataclass(frozen=True)
class When:
    """When an article's happening took place, as far as its text says.

    ``day`` is the happening's own day (resolved from the text); ``reference`` the day the
    article was published (``source`` "published") or, without one, dated by its dateline or
    URL ("dateline"); ``weekday`` (0 = Monday) the weekday the lead names when neither gives
    a day to resolve it against.
    """

    day: date | None = None
    reference: date | None = None
    source: str | None = None
    weekday: int | None = None

    @property
    def best(self) -> date | None:
        """The happening day, else the reference day (an approximation of it)."""
        return self.day or self.reference


def _iso_day(value: str | None) -> date | None:
    if not value or not re.match(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _make(year: int, month: int | None, day: int) -> date | None:
    if month is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month(word: str) -> int | None:
    return int(word) if word.isdigit() else _MONTHS.get(word[:3].lower())


def url_day(url: str | None) -> date | None:
    """The day in a news URL's path (``/2009/Feb/02/``, ``/2013-05-04/``, ``ymd=20081216``),
    if it has one."""
    for pattern in _URL_DATE:
        match = pattern.search(url or "")
        if match is not None:
            year, month, _, day = match.groups()
            return _make(int(year), _month(month), int(day))
    return None


def url_month(url: str | None) -> tuple[int, int] | None:
    """The year and month a news URL's path starts with (``/2010/09/slug``), if any."""
    match = _URL_MONTH.search(url or "")
    if match is None:
        return None
    month = _month(match.group(2))
    return (int(match.group(1)), month) if month else None


def _line_day(line: str, month_hint: tuple[int, int] | None = None) -> date | None:
    """The date of a dateline: a short line that is mostly one full date.

    A numeric date is read month first, as US sites write it, unless ``month_hint`` (the
    year and month of the article's URL) fits only the day-first reading ("11/09/2010" on
    a page under ``/2010/09/``).
    """
    # A date holds at most two of _WORD's words (a month and an ordinal's "th"), so a line
    # with more than DATELINE_WORDS + 2 is no dateline: said after a dozen words, not after
    # the date patterns searched through a whole paragraph.
    if sum(1 for _ in itertools.islice(_WORD.finditer(line), DATELINE_WORDS + 3)) > (
            DATELINE_WORDS + 2):
        return None
    for number, pattern in enumerate(_DATELINE):
        match = pattern.search(line)
        if match is None:
            continue
        rest = _WORD.findall(line[: match.start()] + line[match.end():])
        if len(rest) > DATELINE_WORDS or any(
                w.islower() and w not in _HEADER_WORDS for w in rest):
            return None
        groups = match.groups()
        if number == 0:
            return _make(int(groups[2]), _month(groups[0]), int(groups[1]))
        if number == 1:
            return _make(int(groups[2]), _month(groups[1]), int(groups[0]))
        if number == 2:
            return _make(int(groups[0]), int(groups[1]), int(groups[2]))
        year = int(groups[2]) + (2000 if len(groups[2]) == 2 else 0)
        first, second = int(groups[0]), int(groups[1])
        if number == 4 or first > 12 or (
                month_hint is not None and month_hint == (year, second) != (year, first)):
            return _make(year, second, first)
        return _make(year, first, second)
    return None


def header_lines(text: str) -> list[tuple[int, str]]:
    """The first lines with their offsets: where URLs, bylines and datelines sit."""
    out: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n")[:HEADER_LINES]:
        out.append((offset, line))
        offset += len(line) + 1
    return out


def reference_day(article: Article) -> tuple[date | None, str | None]:
    """The day the article's relative dates count from, and where it came from.

    The publication date when given; else the date in the article's URL or in a URL line
    at its top; else a dateline (a short line near the top that is one full date). Scraped
    pages often carry their date only there.
    """
    published = _iso_day(article.published_at)
    if published is not None:
        return published, "published"
    lines = header_lines(article.text)
    urls = [article.url or "", *(line for _, line in lines if _URL_LINE.match(line))]
    day = next((d for url in urls if (d := url_day(url)) is not None), None)
    if day is None:
        hint = next((m for url in urls if (m := url_month(url)) is not None), None)
        day = next((d for _, line in lines if not _URL_LINE.match(line)
                    and (d := _line_day(line, hint)) is not None), None)
    return (day, "dateline") if day is not None else (None, None)


def dateline_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the header lines that are datelines ("May 2, 2013 1:35 pm", "Posted
    2/3/2009"): a date there dates the report, never the happening it reports."""
    return [(offset, offset + len(line)) for offset, line in header_lines(text)
            if not _URL_LINE.match(line) and _line_day(line) is not None]


def lead_span(article: Article) -> tuple[int, int]:
    """Offsets of the lead: the text after any URL and dateline lines, LEAD_CHARS long."""
    start = _lead_start(article.text)
    return start, start + LEAD_CHARS


@lru_cache(maxsize=256)
def _lead_start(text: str) -> int:
    """Where the lead of ``text`` starts; remembered, as one assignment asks it of the same
    article a dozen times (its signature, its happening, the event's checks)."""
    start = 0
    for offset, line in header_lines(text):
        stripped = line.strip()
        if not stripped or _URL_LINE.match(stripped) or _line_day(stripped) is not None:
            start = offset + len(line) + 1
            continue
        break
    return min(start, len(text))


def lead_text(article: Article) -> str:
    """The title (when given) and the lead."""
    start, end = lead_span(article)
    return f"{article.title or ''}\n{article.text[start:end]}"


@lru_cache(maxsize=4096)
def _resolve(text: str, reference: date) -> date | None:
    """A relative date ("early Sunday", "yesterday") against a dateline, as reporting past."""
    from indexer.extract.temporal_values import normalise

    norm = normalise(text, reference, "past")
    return _iso_day(norm.value) if norm is not None else None


def main_venue(article: Article) -> Venue | None:
    """The venue named first: news leads with where the reported happening took place."""
    return min(article.venues, key=lambda v: min((m.start for m in v.mentions), default=1 << 30),
               default=None)


def _date_of(ref: DateRef, reference: date | None, own: bool) -> date | None:
    """A DateRef's day: as extracted, or resolved here against a dateline (``own`` False)."""
    if ref.granularity not in ("day", "time"):
        return None
    if ref.resolved:
        return _iso_day(ref.value)
    if reference is not None and not own:
        return _resolve(ref.text, reference)
    return None


def _plausible(day: date, reference: date | None) -> bool:
    if reference is None:
        return True
    return -PAST_WINDOW <= (day - reference).days <= FUTURE_WINDOW


def when(article: Article) -> When:
    """The happening's own day, its reference day, or the weekday the lead names.

    The day comes from the main (first-named) venue's date, else from the first date in the
    lead that dates the reported action rather than the report ("arrested early Sunday", not
    "police said Saturday"), kept only when it is plausible for an article of that
    reference day. Without a publication date, relative dates are resolved against the
    dateline here; without either, only an absolute date in the lead sentence counts.
    """
    reference, source = reference_day(article)
    own = source == "published"
    venue = main_venue(article)
    if venue is not None and (day := _iso_day(venue.date)) is not None and _plausible(
            day, reference):
        return When(day, reference, source)
    start, end = lead_span(article)
    if reference is None:
        # nothing to check a date against: only the lead sentence states the happening
        # ("... on 12 March"); later sentences recall history ("annexed Crimea in 2014")
        end = start + len(_first_sentence(article.text[start:end]))
    found: list[tuple[bool, int, date]] = []
    weekday: int | None = None
    datelines = dateline_spans(article.text)
    for ref in article.dates:
        if not start <= ref.start < end or any(a <= ref.start < b for a, b in datelines):
            continue
        day = _date_of(ref, reference, own)
        if day is None:
            if weekday is None and reference is None and (m := _WEEKDAY.search(ref.text)):
                weekday = _WEEKDAYS.index(m.group(1).lower())
            continue
        if _plausible(day, reference):
            found.append((ref.dates in _REPORTING, ref.start, day))
    if found:
        return When(min(found)[2], reference, source)
    return When(None, reference, source, weekday)


def shifted(day: date, days: int) -> date:
    """``day`` moved by ``days`` (a tiny helper the scorers share)."""
    return day + timedelta(days=days)


def _surname(name: str) -> str | None:
    parts = [w for w in re.findall(r"[^\W\d_]+(?:['-][^\W\d_]+)*", name) if len(w) > 1]
    if not parts:
        return None
    last = parts[-1]
    return last.lower() if len(last) > 2 and last[0].isupper() else None


def who(article: Article) -> set[str]:
    """Surnames of the people the lead names (the actors of the reported happening)."""
    return _surnames_named(article, *lead_span(article))


def protagonists(article: Article) -> set[str]:
    """Surnames of the people the title or the lead's first sentence names: whom the
    happening is about ("Klitschko stops Thompson"), before quotes and officials."""
    start, end = lead_span(article)
    body = article.text[start:end]
    skipped = len(body) - len(body.lstrip())
    end = start + skipped + len(_first_sentence(body.lstrip()))
    return _surnames_named(article, start, end, in_title=True)


def _surnames_named(article: Article, start: int, end: int, *, in_title: bool = False
                    ) -> set[str]:
    """Surnames of the people mentioned between ``start`` and ``end`` (or, ``in_title``,
    named in the title)."""
    out: set[str] = set()
    for party in article.parties:
        if party.kind != "person":
            continue
        if any(start <= m.start < end for m in party.mentions) or (
                in_title and article.title and party.name in article.title):
            name = _surname(party.name)
            if name:
                out.add(name)
    return out


def named_people(article: Article) -> set[str]:
    """Surnames of every person the article names anywhere."""
    return {n for p in article.parties if p.kind == "person" and (n := _surname(p.name))}


_KINDS: dict[str, tuple[str, ...]] = {
    "death": ("die", "dies", "died", "dead", "death", "passes away", "passed away", "obituary"),
    "attack": ("shooting", "shoots", "shot", "gunman", "gunmen", "kills", "killed", "killing",
               "murder", "murdered", "stabbing", "stabbed", "bomb", "bombing", "bombed",
               "explosion", "exploded", "blast", "attack", "attacked", "massacre"),
    "arrest": ("arrest", "arrests", "arrested", "detained", "nabbed", "nabs", "captured",
               "apprehended", "in custody", "held on"),
    "charge": ("charged", "charges", "indicted", "indictment", "accused of"),
    "verdict": ("convicted", "guilty", "acquitted", "verdict", "jury"),
    "sentence": ("sentenced", "sentence", "sentences", "jailed for"),
    "escape": ("escape", "escapes", "escaped", "escapee", "on the run", "fled", "flees"),
    "appointment": ("hire", "hires", "hired", "appoint", "appoints", "appointed", "nominate",
                    "nominates", "nominated", "nominee", "names new", "named as", "taps",
                    "picks", "to direct", "to helm", "new coach", "successor"),
    "dismissal": ("fires", "fired", "sacked", "sacks", "dismissed", "ousted", "parted ways",
                  "relieved of"),
    "resignation": ("resign", "resigns", "resigned", "resignation", "steps down", "quits"),
    "earthquake": ("earthquake", "quake", "tremor", "magnitude"),
    "blaze": ("fire destroys", "blaze", "burns", "burned", "burnt", "arson", "flames",
              "fire at", "fire in", "caught fire", "wildfire"),
    "accident": ("crash", "crashed", "crashes", "collision", "derailed", "capsized", "sank"),
    "election": ("election", "elections", "vote", "votes", "voted", "voting", "polls",
                 "ballot", "ballots", "referendum"),
    "contest": ("beats", "beat", "defeats", "defeated", "wins", "won", "victory", "stops",
                "knockout", "retains", "title fight", "final"),
    "injury": ("injured reserve", "injury", "injured list", "season-ending"),
    "rehab": ("rehab", "rehabilitation", "treatment center", "treatment facility"),
    "deal": ("offer", "offers", "offered", "deal", "contract", "signs", "signed",
             "acquire", "acquires", "acquired", "acquisition", "buys", "bought", "merger",
             "takeover", "order", "orders"),
    "release": ("release", "releases", "released", "launch", "launches", "launched",
                "unveil", "unveils", "unveiled", "introduce", "introduces", "introduced",
                "patch", "update"),
    "talks": ("talks", "negotiation", "negotiations", "negotiating"),
    "meeting": ("meeting", "meets", "met", "council"),
    "summit": ("summit",),
    "conference": ("conference", "congress", "convention", "keynote"),
    "protest": ("protest", "protests", "protesters", "demonstration", "demonstrators",
                "riot", "riots", "rioters", "march", "strike"),
    "decline": ("fall", "falls", "fell", "drop", "drops", "dropped", "plunge", "plunges",
                "plunged", "tumble", "tumbles", "slide", "slides", "slump", "down sharply",
                "lowest", "losses", "loss"),
    "advance": ("rise", "rises", "rose", "rally", "rallies", "surge", "surges", "gain", "gains",
                "climb", "climbs", "highest", "high", "record high"),
    "robbery": ("robbery", "robbers", "robbed", "heist", "stole", "stolen", "theft", "thieves"),
    "lawsuit": ("sue", "sues", "sued", "lawsuit", "court case", "settles", "settled"),
    "outage": ("outage", "outages", "disrupted", "disrupts", "disruption", "downtime",
               "cable cut", "cables cut", "severed"),
    "ruling": ("rule", "rules", "ruling", "regulation", "regulations", "overturns",
               "overturned", "reverses", "revokes", "law", "bill", "order"),
    "record": ("record", "milestone", "all-time"),
}  # fmt: skip
_KIND_PATTERN = re.compile(
    r"\b(" + "|".join(sorted({re.escape(w) for ws in _KINDS.values() for w in ws},
                              key=len, reverse=True)) + r")\b", re.I)
_KIND_OF = {w: k for k, ws in reversed(list(_KINDS.items())) for w in ws}


def _first_sentence(text: str) -> str:
    """Up to the first full stop or line break (a title line counts as a sentence)."""
    match = re.search(r"(?<=[a-z0-9\)\"'])[.!?](?:\s|$)|\n", text)
    return text[: match.start()] if match else text


def kind(article: Article) -> str | None:
    """The main action class: the first action word of the title, else of the lead sentence."""
    start, _ = lead_span(article)
    for text in (article.title or "", _first_sentence(article.text[start:].lstrip())):
        match = _KIND_PATTERN.search(text)
        if match:
            return _KIND_OF.get(match.group(1).lower())
    return None


def where(article: Article) -> str | None:
    """The main venue's id, else the first place the lead names (None when it names none)."""
    found = where_place(article)
    return found.id if found is not None else None


def where_place(article: Article) -> Place | Venue | None:
    """The place :func:`where` names, with its country and coordinates (when known)."""
    venue = main_venue(article)
    start, end = lead_span(article)
    if venue is not None and any(m.start < end for m in venue.mentions):
        return venue
    first = min(
        ((min(m.start for m in p.mentions), i) for i, p in enumerate(article.places)
         if any(start <= m.start < end for m in p.mentions)),
        default=None,
    )
    return article.places[first[1]] if first else venue


def geo_key(place: Place | Venue) -> str | None:
    """Where a place is, as a short string: its country code, then its coordinates to two
    decimals when it is a point (a city, a site); None when the gazetteer does not know it."""
    if not place.country:
        return None
    if place.lat is None or place.lon is None:
        return place.country
    return f"{place.country} {place.lat:.2f} {place.lon:.2f}"


def distinct_places(a: str | None, b: str | None, km: float) -> bool | None:
    """Are two places (:func:`geo_key`) known to be different places? True in different
    countries or as points more than ``km`` apart; None when that cannot be told (a place
    the gazetteer does not know, or a country or region that may hold the other point)."""
    if a is None and b is None:
        return True  # neither is in the gazetteer: two names, two places
    if a is None or b is None:
        return None
    ca, *pa = a.split()
    cb, *pb = b.split()
    if ca != cb:
        return True
    if not pa or not pb:
        return None
    lat1, lon1, lat2, lon2 = (math.radians(float(x)) for x in (*pa, *pb))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(h)) > km

"""Normalise one temporal expression to a TIMEX3-style (type, value) against a reference date.

Own rules cover what news text says most ("Friday", "last year", "the third quarter",
"three days", "mid-2019"); ``dateparser`` is only the fallback for spans no rule knows.
Tense decides the direction of bare weekdays and months: past reporting looks back,
plans look ahead. The rules are tried in the order of :data:`RULES`, special cases and
fallback included; the first that answers wins. Spans longer than
``MAX_EXPRESSION_CHARS`` are no date, so no pattern ever reads more than that.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Literal

from dateparser.date import DateDataParser

from indexer.extract.budget import MAX_EXPRESSION_CHARS, MAX_SLOW_PARSE_CHARS, spend_slow_parse

Tense = Literal["past", "present", "future", "none"]
TimexType = Literal["DATE", "TIME", "DURATION", "SET"]


@dataclass(frozen=True)
class Normalised:
    """A TIMEX3 type and value; ``value`` is None when it needs a reference date we lack."""

    type: TimexType
    value: str | None
    mod: str | None = None


MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "half": 0.5,
    "single": 1,
    "couple": 2,
    "dozen": 12,
}
VAGUE_NUMBERS = {"several", "few", "many", "some", "couple", "recent", "coming", "past", "next"}
UNITS = {
    "second": ("T", "S"),
    "minute": ("T", "M"),
    "hour": ("T", "H"),
    "day": ("", "D"),
    "week": ("", "W"),
    "weekend": ("", "WE"),
    "month": ("", "M"),
    "year": ("", "Y"),
    "decade": ("", "DE"),
    "century": ("", "CE"),
    "quarter": ("", "Q"),
}
SEASONS = {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"}
PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"}
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "last": 4,
}
MODS = {
    "early": "START",
    "mid": "MID",
    "late": "END",
    "the end of": "END",
    "the beginning of": "START",
    "the start of": "START",
    "the middle of": "MID",
}

_NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
_NUM_WORDS = _NUM + r"(?:[- ](?:" + "|".join(k for k in NUMBERS if k not in {"a", "an"}) + r"))?"
_UNIT = r"(second|minute|hour|day|week|weekend|month|year|decade|century|quarter)s?"
_MON = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WD = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"


def parse_number(word: str) -> float | None:
    """Read "three", "3", "twenty-five", "a"; None for vague counts like "several"."""
    word = word.strip().lower().replace(",", "")
    try:
        return float(word)
    except ValueError:
        pass
    total = 0.0
    for part in re.split(r"[- ]", word):
        if part not in NUMBERS:
            return None
        if NUMBERS[part] == 100:
            total = (total or 1) * 100
        else:
            total += NUMBERS[part]
    return total


def _fmt_amount(amount: float | None) -> str:
    """Format a duration amount the TIMEX3 way ("X" when vague)."""
    if amount is None:
        return "X"
    return str(int(amount)) if amount == int(amount) else str(amount)


def duration(amount: float | None, unit: str) -> str:
    """TIMEX3 duration value, e.g. (3, "day") -> "P3D", (8, "hour") -> "PT8H"."""
    prefix, code = UNITS[unit]
    if unit == "decade" and amount is not None:
        return f"P{_fmt_amount(amount * 10)}Y"
    if unit == "quarter" and amount is not None:
        return f"P{_fmt_amount(amount * 3)}M"
    if amount is not None and amount != int(amount) and code in {"Y", "D", "H"}:
        smaller = {"Y": ("", "M", 12), "D": ("T", "H", 24), "H": ("T", "M", 60)}[code]
        return f"P{smaller[0]}{_fmt_amount(amount * smaller[2])}{smaller[1]}"
    return f"P{prefix}{_fmt_amount(amount)}{code}"


def iso_week(day: dt.date) -> str:
    """ISO week value ("2022-W02") used for "this week" and friends."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekday_date(ref: dt.date, weekday: int, tense: Tense, modifier: str) -> dt.date:
    """Resolve a weekday name: past tense looks back, plans look ahead, "this" = this week."""
    delta = weekday - ref.weekday()
    if modifier == "this":
        return ref + dt.timedelta(days=delta)
    if modifier == "next":
        return ref + dt.timedelta(days=(delta % 7) or 7)
    if modifier == "last":
        return ref - dt.timedelta(days=(-delta % 7) or 7)
    if tense in {"future", "present"}:
        return ref + dt.timedelta(days=delta % 7)
    return ref - dt.timedelta(days=-delta % 7)


def month_year(ref: dt.date, month: int, tense: Tense) -> int:
    """The year of a bare month name: the nearest one in the direction the tense points.

    Past reporting only reaches back a year for a month well ahead of publication: news
    in August that "cut supplies in September" usually means the coming September.
    """
    if tense == "future" and month < ref.month:
        return ref.year + 1
    if tense == "past" and month > ref.month + 1:
        return ref.year - 1
    if tense in {"none", "present"} and abs(month - ref.month) > 6:
        return ref.year + (1 if month < ref.month else -1)
    return ref.year


def _weekend_day(ref: dt.date, tense: Tense) -> dt.date:
    """A day of the weekend meant: in past reporting the last one, else the coming one."""
    if tense == "past" and ref.weekday() < 5:
        return ref - dt.timedelta(days=ref.weekday() + 1)
    return ref


def quarter_of(day: dt.date) -> int:
    """Calendar quarter (1-4) of a date."""
    return (day.month - 1) // 3 + 1


def shift_months(day: dt.date, months: int) -> tuple[int, int]:
    """(year, month) ``months`` away from ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _clean(text: str) -> str:
    """Lower-case, drop quotes, "the" and trailing possessives so rules stay short."""
    text = text.lower().replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"\s+", " ", text).strip(" ,.;:\"'()")
    text = re.sub(r"'s$", "", text)
    text = re.sub(r"^(?:the )+the ", "the ", text)
    text = re.sub(
        r"^(?:on|in|at|by|during|since|until|till|from|for|of|about|around|between|both|"
        r"after|through|throughout|within|sometime|its|an) (?=.)",
        "",
        text,
    )
    return re.sub(r"^(?:pre|post)-(?=\d{4}$)", "", text)


class Verdict(Enum):
    """A rule's answer that ends the search without a value."""

    NOT_TEMPORAL = "not temporal"


Resolver = Callable[[re.Match[str], dt.date | None, Tense], Normalised | Verdict | None]


@dataclass(frozen=True)
class Rule:
    """One normalisation rule: a full-match pattern and what a match of it means.

    ``resolve`` answers a value, :attr:`Verdict.NOT_TEMPORAL` (stop, the text is no date)
    or None (no opinion: the next rule in :data:`RULES` is tried).
    """

    name: str
    pattern: re.Pattern[str]
    resolve: Resolver
    raw: bool = False  # match the text as given (case kept), not the cleaned text
    quarterly_only: bool = False  # only in sentences that report quarterly results


def rule(
    pattern: str, *, flags: int = 0, raw: bool = False, quarterly_only: bool = False
) -> Callable[[Resolver], Rule]:
    """Make a :class:`Rule` of a resolver; where it ranks is its place in :data:`RULES`."""

    def make(func: Resolver) -> Rule:
        return Rule(func.__name__, re.compile(pattern, flags), func, raw, quarterly_only)

    return make


def _relative(
    ref: dt.date | None,
    make: Callable[[dt.date], str],
    kind: TimexType = "DATE",
    mod: str | None = None,
) -> Normalised:
    """A value that needs the reference date: unresolved (None) without one."""
    return Normalised(kind, make(ref) if ref is not None else None, mod)


@rule(
    r"(?:right )?now|currently|at present|at the moment|(?:the )?present|these days|nowadays"
    r"|at this (?:time|point)|(?:the )?current(?:ly)?"
)
def _present(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return Normalised("DATE", "PRESENT_REF")


@rule(
    r"(?:the )?(?:recent )?past|recently|lately|previously|earlier|once|formerly|former"
    r"|(?:in )?recent times|some time ago|long ago|before"
)
def _past(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return Normalised("DATE", "PAST_REF")


@rule(
    r"(?:the )?(?:near |distant |foreseeable )?future|soon|later|eventually|shortly"
    r"|(?:in )?(?:the )?(?:coming|next|future) (?:years|months|weeks|days|quarters)"
)
def _future(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return Normalised("DATE", "FUTURE_REF")


@rule(
    r"(?:(?:early|late|mid)[- ])?(today|tonight|yesterday|tomorrow|this|last|tomorrow's|"
    r"yesterday's|today's)(?: (morning|afternoon|evening|night))?"
)
def _deictic_day(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    word, part = m.group(1).replace("'s", ""), m.group(2)
    if word in {"this", "last"} and part is None:
        return None
    offset = {"yesterday": -1, "tomorrow": 1, "last": -1}.get(word, 0)
    if word == "last" and part in {"night", "evening"}:
        offset = -1
    elif word == "last":
        return None
    suffix = ""
    if part:
        suffix = "T" + PARTS_OF_DAY[part]
    kind: TimexType = "TIME" if suffix else "DATE"
    return _relative(ref, lambda r: (r + dt.timedelta(days=offset)).isoformat() + suffix, kind)


@rule(
    r"(?:(?:early|late) )?(?:(this|last|next|past|coming|previous|following|this coming) )?"
    + _WD
    + r"(?: (morning|afternoon|evening|night))?"
)
def _weekday(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    modifier = m.group(1) or ""
    modifier = {
        "past": "last",
        "previous": "last",
        "coming": "next",
        "this coming": "next",
        "following": "next",
    }.get(modifier, modifier)
    weekday = WEEKDAYS.index(m.group(2))
    part = m.group(3)
    # TimeBank mostly dates "Friday night/morning" to the day itself, evenings to the part
    suffix = "T" + PARTS_OF_DAY[part] if part in {"afternoon", "evening"} else ""
    kind: TimexType = "TIME" if suffix else "DATE"
    return _relative(
        ref, lambda r: weekday_date(r, weekday, tense, modifier).isoformat() + suffix, kind
    )


@rule(r"(?:noon|midday|(midnight)) (?:(this|last|next) )?" + _WD)
def _noon_day(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    hour = "24" if m.group(1) else "12:00"

    def make(r: dt.date) -> str:
        day = weekday_date(r, WEEKDAYS.index(m.group(3)), tense, m.group(2) or "")
        return f"{day.isoformat()}T{hour}"

    return _relative(ref, make, "TIME")


@rule(
    r"(?:at |around |about )?(\d{1,2})(?::(\d{2}))? ?([ap])\.?m\.?(?: [a-z]{3})?,? "
    r"(?:(yesterday|today|tomorrow)|(?:(this|last|next) )?" + _WD + r")"
)
def _clock_day(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    hour, minute = int(m.group(1)) % 12, int(m.group(2) or 0)
    hour += 12 if m.group(3) == "p" else 0

    def make(r: dt.date) -> str:
        if m.group(4):
            day = r + dt.timedelta(days={"yesterday": -1, "tomorrow": 1}.get(m.group(4), 0))
        else:
            day = weekday_date(r, WEEKDAYS.index(m.group(6)), tense, m.group(5) or "")
        return f"{day.isoformat()}T{hour:02d}:{minute:02d}"

    return _relative(ref, make, "TIME")


@rule(r"(\d{4})-(\d{2})-(\d{2})(?:t(\d{2}):(\d{2}))?")
def _iso(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    if m.group(4):
        return Normalised("TIME", m.group(0).upper())
    return Normalised("DATE", m.group(0))


@rule(r"(\d{1,2})/(\d{1,2})/(\d{2,4})")
def _slashed(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    year = int(m.group(3))
    year = year + 1900 if year < 100 and year > 30 else year + 2000 if year < 100 else year
    month, day = int(m.group(1)), int(m.group(2))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return Normalised("DATE", f"{year:04d}-{month:02d}-{day:02d}")


def _month_num(word: str) -> int:
    return MONTHS[word.rstrip(".")[:3]]


@rule(
    r"(?:(early|mid|late|the end of|the beginning of|the start of|the middle of)[- ])?"
    + _MON
    + r"(?: (\d{1,2})(?:st|nd|rd|th)?)?(?:,? (\d{4}|'\d{2}))?"
)
def _month_date(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    month = _month_num(m.group(2))
    day = m.group(3)
    year_text = m.group(4)
    mod = MODS.get(m.group(1) or "")
    year: int | None
    if year_text:
        year = int(year_text[1:]) + 1900 if year_text.startswith("'") else int(year_text)
    elif ref is not None:
        if day:
            guess = dt.date(ref.year, month, min(int(day), 28))
            delta = (guess - ref).days
            year = ref.year
            if (delta < -180 and tense != "past") or (tense == "future" and delta < -60):
                year = ref.year + 1
            elif delta > 180 or (tense == "past" and delta > 90):
                year = ref.year - 1
        else:
            year = month_year(ref, month, tense)
    else:
        return Normalised("DATE", None, mod)
    if day:
        if not 1 <= int(day) <= 31:
            return None
        return Normalised("DATE", f"{year:04d}-{month:02d}-{int(day):02d}", mod)
    return Normalised("DATE", f"{year:04d}-{month:02d}", mod)


@rule(
    r"(?:(early|mid|late)[- ])?(?:(last|this|next|this past|this coming|past|coming) )?"
    + _MON
    + r"(?: (\d{1,2})(?:st|nd|rd|th)?)?(?:,? (?:of )?(this|last|next) year)?"
)
def _relative_month(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    modifier, year_word = m.group(2), m.group(5)
    if (modifier is None) == (year_word is None):
        return None
    month = _month_num(m.group(3))
    mod = MODS.get(m.group(1) or "")

    def make(r: dt.date) -> str:
        if year_word:
            year = r.year + {"this": 0, "last": -1, "next": 1}[year_word]
        elif modifier in {"last", "past", "this past"}:
            year = r.year - 1 if month >= r.month else r.year
        elif modifier in {"next", "coming", "this coming"}:
            year = r.year + 1 if month <= r.month else r.year
        else:
            year = r.year
        day = m.group(4)
        return f"{year:04d}-{month:02d}" + (f"-{int(day):02d}" if day else "")

    return _relative(ref, make, mod=mod)


@rule(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?" + _MON + r"(?:,? (\d{4}))?")
def _day_month(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    month = _month_num(m.group(2))
    if m.group(3):
        year = int(m.group(3))
    elif ref is not None:
        year = month_year(ref, month, tense)
    else:
        return Normalised("DATE", None)
    return Normalised("DATE", f"{year:04d}-{month:02d}-{int(m.group(1)):02d}")


@rule(
    r"(?:(early|mid|late|the end of|the beginning of|the start of|the middle of)[- ])?"
    r"(?:(?:the )?(?:fiscal |calendar |model |school )?(?:year )?)?(\d{4})"
    r"(?:-(\d{2}|\d{4}))?"
)
def _year(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    year = int(m.group(2))
    if not 1000 <= year <= 2200:
        return None
    return Normalised("DATE", f"{year:04d}", MODS.get(m.group(1) or ""))


@rule(
    r"(?:the )?(?:(early|mid|late)[- ])?(?:(\d{2})(\d)0|'(\d)0|(twenties|thirties|forties|"
    r"fifties|sixties|seventies|eighties|nineties))'?s"
)
def _decade(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    words = {
        "twenties": 2,
        "thirties": 3,
        "forties": 4,
        "fifties": 5,
        "sixties": 6,
        "seventies": 7,
        "eighties": 8,
        "nineties": 9,
    }
    mod = MODS.get(m.group(1) or "")
    if m.group(2):
        return Normalised("DATE", m.group(2) + m.group(3), mod)
    digit = m.group(4) or str(words[m.group(5)])
    return Normalised("DATE", "19" + digit, mod)


@rule(r"(?:the )?(\d{1,2})(?:st|nd|rd|th) century")
def _century(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return Normalised("DATE", f"{int(m.group(1)) - 1:02d}")


def _previous_quarter(ref: dt.date, years_back: int = 0) -> str:
    """The last completed quarter before ``ref`` (what earnings news calls "the quarter")."""
    year, month = shift_months(ref, -3)
    return f"{year - years_back:04d}-Q{(month - 1) // 3 + 1}"


@rule(
    r"(?:the )?(?:comparable )?(this year's|last year's|next year's|year-ago|year-earlier|\d{4})"
    r" (?:fiscal )?(?:(first|second|third|fourth)[- ])?(quarter|period)"
)
def _dated_quarter(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    """A quarter tied to a year: "the 1988 quarter", "the year-ago third quarter"."""
    anchor, ordinal = m.group(1), m.group(2)
    if m.group(3) == "period" and not anchor[0].isdigit() and ordinal is None:
        return None
    offset = {"this year's": 0, "next year's": 1}.get(anchor, -1)

    def make(r: dt.date) -> str:
        year, month = shift_months(r, -3)
        number = ORDINALS[ordinal] if ordinal else (month - 1) // 3 + 1
        if anchor[0].isdigit():
            year = int(anchor)
        elif ordinal:
            year = r.year + offset
        else:
            year += offset
        return f"{year:04d}-Q{number}"

    return _relative(ref, make)


@rule(
    r"(?:the )?(?:comparable |same |corresponding )?(?:(first|second|third|fourth|1st|2nd|3rd|"
    r"4th|last|latest|current|this|previous|past|year-earlier|year-ago|fiscal|recent|"
    r"most recent) )?(?:fiscal )?(?:(first|second|third|fourth)[- ])?(quarter|half|period)"
    r"(?: of (?:fiscal )?(\d{4}|this year|last year|next year))?"
)
def _quarter(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    which = m.group(2) or m.group(1) or ""
    unit = m.group(3)
    code = "H" if unit == "half" else "Q"
    year_text = m.group(4)
    if unit == "half" and which == "last":
        which = "second"
    if unit == "period" and which not in {"latest", "year-earlier", "year-ago", "recent"}:
        return None
    if which in ORDINALS and which != "last":
        n = ORDINALS[which]
        if year_text and year_text[0].isdigit():
            return Normalised("DATE", f"{year_text}-{code}{n}")
        if ref is None:
            return Normalised("DATE", None)
        year = ref.year
        if year_text:
            year += {"this year": 0, "last year": -1, "next year": 1}[year_text]
        else:
            current = quarter_of(ref) if code == "Q" else (ref.month - 1) // 6 + 1
            if tense != "future" and n > current:
                year -= 1
        return Normalised("DATE", f"{year:04d}-{code}{n}")
    if code == "H":
        return None
    if which in {"current", "this"} or (tense == "future" and which in {"", "fiscal"}):
        return _relative(ref, lambda r: f"{r.year:04d}-Q{quarter_of(r)}")
    if which == "past":
        return Normalised("DURATION", "P3M")
    if which in {"year-earlier", "year-ago"}:
        return _relative(ref, lambda r: _previous_quarter(r, 1))
    return _relative(ref, _previous_quarter)


@rule(
    r"(?:the )?(?:(this past|this|last|next|past|coming|previous|early|late|mid) ?)?(spring"
    r"|summer|autumn|fall|winter)(?: (?:of )?(\d{4}))?"
)
def _season(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    code = SEASONS[m.group(2)]
    if m.group(3):
        return Normalised("DATE", f"{m.group(3)}-{code}")
    modifier = m.group(1) or ""
    offset = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1}.get(modifier, 0)
    if not modifier and tense == "past":
        offset = 0
    if modifier == "this past":
        starts = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
        return _relative(ref, lambda r: f"{r.year - (starts[code] > r.month):04d}-{code}")
    return _relative(ref, lambda r: f"{r.year + offset:04d}-{code}")


@rule(
    r"(?:(?:earlier|later|early|late|the end of|the beginning of|the start of|the middle of) )?"
    r"(this|last|next|past|coming|previous|the same|that|the current|the following) "
    r"(?:fiscal )?(week|weekend|month|year|decade|century)"
)
def _this_unit(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    modifier, unit = m.group(1), m.group(2)
    if modifier in {"the same", "that"}:
        return None
    offset = {
        "last": -1,
        "past": -1,
        "previous": -1,
        "next": 1,
        "coming": 1,
        "the following": 1,
    }.get(modifier, 0)
    if modifier == "past" and unit in {"week", "month", "year", "decade"}:
        return Normalised("DURATION", duration(1, unit))

    def make(r: dt.date) -> str:
        if unit == "week":
            return iso_week(r + dt.timedelta(weeks=offset))
        if unit == "weekend":
            return iso_week(r + dt.timedelta(weeks=offset)) + "-WE"
        if unit == "month":
            year, month = shift_months(r, offset)
            return f"{year:04d}-{month:02d}"
        if unit == "decade":
            return str(r.year // 10 + offset)
        if unit == "century":
            return str(r.year // 100 + offset)
        return f"{r.year + offset:04d}"

    return _relative(ref, make)


@rule(
    r"(?:about |some |nearly |almost |more than |less than |over |just |only |at least )?"
    r"("
    + _NUM_WORDS
    + r"|a|an|several|a few|few|a couple of) "
    + _UNIT
    + r" (ago|earlier|before|later|after|from now|hence|since)"
)
def _ago(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    amount = parse_number(m.group(1).replace("a couple of", "two"))
    unit = m.group(2)
    sign = -1 if m.group(3) in {"ago", "earlier", "before"} else 1
    if amount is None or unit in {"weekend", "century"}:
        return Normalised("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")
    n = int(amount) * sign

    def make(r: dt.date) -> str:
        if unit in {"second", "minute", "hour"}:
            return r.isoformat()
        if unit == "day":
            return (r + dt.timedelta(days=n)).isoformat()
        if unit == "week":
            return iso_week(r + dt.timedelta(weeks=n))
        if unit == "month":
            year, month = shift_months(r, n)
            return f"{year:04d}-{month:02d}"
        if unit == "quarter":
            year, month = shift_months(r, 3 * n)
            return f"{year:04d}-Q{(month - 1) // 3 + 1}"
        if unit == "decade":
            return str(r.year // 10 + n)
        return f"{r.year + n:04d}"

    return _relative(ref, make)


@rule(r"(?:the )?(?:most )?recent (day|week|month|year|decade|quarter)s")
def _recent(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return Normalised("DURATION", duration(None, m.group(1)))


@rule(
    r"(?:around |about |by |at |until )?(?:the )?(?:(?:end of )?(?:the |this )?year|year)"
    r"[- ']?s? ?end|the end of (?:the|this) year"
)
def _year_end(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return _relative(ref, lambda r: f"{r.year:04d}", mod="END")


@rule(r"(?:the )?(?:full |calendar |current )year")
def _the_year(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return _relative(ref, lambda r: f"{r.year:04d}")


# Each leading modifier is one atomic step, "the coming" tried before "the": a run of them
# is read one way, not every way ("the past" as one word or two), which was exponential.
@rule(
    r"(?>(?:about|some|nearly|almost|roughly|approximately|more than|less than|over|just|only|"
    r"at least|least|no more than|as long as|as much as|barely|year-earlier|year-ago|"
    r"up to|the (?:past|last|next|previous|first|final|coming|following|latest|remaining)|"
    r"(?:the )?(?:first|last|past|next|previous)|the|a|an|another|all|each|"
    r"those|these|full|entire|whole) )*"
    r"(" + _NUM_WORDS + r"|several|a few|few|many|a couple of|couple of|some)?[- ]?"
    r"(?:and a half )?(?:full |more |consecutive |straight |long |calendar |business |"
    r"successive |fiscal |trading )?" + _UNIT + r"(?:-long|-old| long| running| old)?"
    r"(?: of (?:the |this |last |fiscal )?(?:\d{4}|year))?"
)
def _duration(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    count, unit = m.group(1), m.group(2)
    if unit == "weekend":
        return None
    text = m.group(0)
    if count is None:
        plural = text.endswith("s") or re.search(unit + r"s\b", text) is not None
        amount: float | None = None if plural else 1
    else:
        amount = parse_number(count.replace("a couple of", "two").replace("couple of", "two"))
        if count in {"some"} and not text.endswith("s"):
            return None
    if "and a half" in text and amount is not None:
        amount += 0.5
    return Normalised("DURATION", duration(amount, unit))


@rule(
    r"(daily|weekly|monthly|yearly|annually|annual|quarterly|hourly|nightly|biweekly"
    r"|every (?:other )?(?:day|week|month|year|night|morning|quarter)"
    r"|each (?:day|week|month|year)|a (?:day|week|month|year)|per (?:day|week|month|year)"
    r"|twice a (?:day|week|month|year)|once a (?:day|week|month|year))"
)
def _set(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    text = m.group(1)
    for word, value in (
        ("hour", "PT1H"),
        ("night", "P1D"),
        ("day", "P1D"),
        ("week", "P1W"),
        ("month", "P1M"),
        ("quarter", "P3M"),
        ("year", "P1Y"),
        ("annual", "P1Y"),
    ):
        if word in text:
            if "other" in text:
                value = value.replace("1", "2")
            return Normalised("SET", value)
    return Normalised("SET", "P1D")


@rule(r"(\d{1,2})(?::(\d{2}))? ?([ap])\.?m\.?(?: \w{3})?|(noon|midday|midnight)")
def _clock(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    if m.group(4):
        hour, minute = (24, 0) if m.group(4) == "midnight" else (12, 0)
    else:
        hour, minute = int(m.group(1)) % 12, int(m.group(2) or 0)
        if m.group(3) == "p":
            hour += 12
    return _relative(ref, lambda r: f"{r.isoformat()}T{hour:02d}:{minute:02d}", "TIME")


@rule(
    r"(?:the )?(?:(?:early|mid|late)[- ])?(morning|afternoon|evening|night|overnight|weekend|day"
    r"|week|month)"
)
def _bare_unit(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    word = m.group(1)
    if word in PARTS_OF_DAY or word == "overnight":
        code = PARTS_OF_DAY.get(word, "NI")
        return _relative(ref, lambda r: f"{r.isoformat()}T{code}", "TIME")
    if word == "weekend":
        return _relative(ref, lambda r: iso_week(_weekend_day(r, tense)) + "-WE")
    if word in {"day", "week", "month", "year"}:
        return Normalised("DURATION", duration(1, word))
    return None


_FORMATS = {
    "year": "%Y",
    "month": "%Y-%m",
    "week": "%G-W%V",
    "day": "%Y-%m-%d",
    "time": "%Y-%m-%dT%H:%M",
}


@lru_cache(maxsize=64)
def _parser(base: dt.date, prefer: str) -> DateDataParser:
    """One dateparser per (reference date, direction): building them is the slow part."""
    settings = {
        "RELATIVE_BASE": dt.datetime.combine(base, dt.time()),
        "PREFER_DATES_FROM": prefer,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    return DateDataParser(languages=["en"], settings=settings)


@lru_cache(maxsize=4096)
def _dateparse(text: str, base: dt.date, prefer: str) -> tuple[dt.datetime, str | None] | None:
    """dateparser's reading of ``text`` (date and period); kept, as news repeats its dates."""
    try:
        data = _parser(base, prefer).get_date_data(text)
    except (ValueError, OverflowError):
        return None
    if data.date_obj is None:
        return None
    return data.date_obj, data.period


def _fallback(text: str, ref: dt.date | None, tense: Tense) -> Normalised | None:
    """Ask dateparser (anchored at ``ref``) about spans none of the rules covers."""
    if len(text) > MAX_SLOW_PARSE_CHARS:
        return None
    if not re.search(r"[a-z]", text) or not re.search(r"\d|" + _MON + "|" + _WD, text):
        return None
    prefer = "future" if tense == "future" else "past"
    base = ref or dt.date(1900, 1, 1)
    spend_slow_parse((text, base, prefer))
    found = _dateparse(text, base, prefer)
    if found is None:
        return None
    date_obj, period = found
    period = period or "day"
    if period == "time" and date_obj.hour == 0 and date_obj.minute == 0:
        period = "day"
    if ref is None and re.search(r"\b\d{4}\b", text) is None:
        return Normalised("DATE", None)
    kind: TimexType = "TIME" if period == "time" else "DATE"
    return Normalised(kind, date_obj.strftime(_FORMATS.get(period, "%Y-%m-%d")))


_YEAR_BACK = re.compile(
    r"(?:a|one) year (?:ago|earlier|before)|(?:the )?(?:comparable )?year-(?:ago|earlier)"
    r"(?: (?:period|quarter))?|last year's quarter|the quarter a year ago"
    r"|the (?:same|corresponding|comparable) (?:period|quarter) (?:of )?(?:a year ago|last year)"
)
_BARE_YEAR_BACK = re.compile(r"(?:the )?year-(?:ago|earlier)")
_TENS = {
    "ten": 10,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNITS_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_SPELLED_CENTURY = re.compile(
    r"\b(eighteen|nineteen|twenty) ("
    + "|".join(_TENS)
    + r")(?:[- ]("
    + "|".join(_UNITS_WORDS)
    + r"))?\b"
)
_SPELLED_2000 = re.compile(
    r"(?:the year )?two thousand(?: and (" + "|".join(_UNITS_WORDS) + r"))?$"
)
_LEAD_WEEKDAY = re.compile(r"(?:the day )?" + _WD + r",? (?=" + _MON + r" \d)")
_WEEK_OF = re.compile(r"(?:the )?week of (.+)")


def _spell_years(text: str) -> str:
    """Write spelled-out years as digits: "nineteen ninety-six" -> "1996"."""

    def century(m: re.Match[str]) -> str:
        hundreds = {"eighteen": 18, "nineteen": 19, "twenty": 20}[m.group(1)]
        unit = _UNITS_WORDS.index(m.group(3)) + 1 if m.group(3) else 0
        return str(hundreds * 100 + _TENS[m.group(2)] + unit)

    text = _SPELLED_CENTURY.sub(century, text)
    return _SPELLED_2000.sub(
        lambda m: str(2000 + (_UNITS_WORDS.index(m.group(1)) + 1 if m.group(1) else 0)), text
    )


@rule(rf".{{{MAX_EXPRESSION_CHARS + 1},}}", flags=re.DOTALL, raw=True)
def _too_long(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Verdict:
    """A span this long is NER running over a repeated phrase, not one temporal expression."""
    return Verdict.NOT_TEMPORAL


@rule(r"(?=.*\b(?:may|march)\b)\D*", flags=re.DOTALL, raw=True)
def _verb_not_month(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Verdict:
    """Lower-case "may" or "march" without a digit: the modal verb and the verb, not months."""
    return Verdict.NOT_TEMPORAL


@rule(_YEAR_BACK.pattern, quarterly_only=True)
def _quarter_a_year_back(
    m: re.Match[str], ref: dt.date | None, tense: Tense
) -> Normalised | None:
    """In quarterly results "a year earlier" is the same quarter a year before (TimeBank)."""
    return Normalised("DATE", _previous_quarter(ref, 1)) if ref is not None else None


@rule(_BARE_YEAR_BACK.pattern)
def _year_back(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised:
    return _relative(ref, lambda r: f"{r.year - 1:04d}")


@rule(_WEEK_OF.pattern)
def _week_of(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    """ "the week of January 10": the ISO week of the day, when the rest names a day."""
    day = normalise(m.group(1), ref, tense)
    if day is not None and day.value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.value):
        return Normalised("DATE", iso_week(dt.date.fromisoformat(day.value)))
    return None


@rule(r".*", flags=re.DOTALL)
def _by_dateparser(m: re.Match[str], ref: dt.date | None, tense: Tense) -> Normalised | None:
    """What no rule knows goes to dateparser, anchored at the reference date."""
    return _fallback(m.group(0), ref, tense)


#: Every rule in priority order: the first that answers wins. Reordering is an edit here.
RULES: tuple[Rule, ...] = (
    _too_long,
    _verb_not_month,
    _quarter_a_year_back,
    _year_back,
    _week_of,
    _present,
    _past,
    _future,
    _deictic_day,
    _weekday,
    _noon_day,
    _clock_day,
    _iso,
    _slashed,
    _month_date,
    _relative_month,
    _day_month,
    _year,
    _decade,
    _century,
    _dated_quarter,
    _quarter,
    _season,
    _this_unit,
    _ago,
    _recent,
    _year_end,
    _the_year,
    _duration,
    _set,
    _clock,
    _bare_unit,
    _by_dateparser,
)


def normalise(
    text: str, ref: dt.date | None, tense: Tense = "none", quarterly: bool = False
) -> Normalised | None:
    """TIMEX3 type and value of ``text``; None when it does not look temporal at all.

    ``quarterly`` says the sentence reports quarterly results, where "a year earlier"
    means the same quarter a year before, as TimeBank's financial news annotates it.
    """
    cleaned = _LEAD_WEEKDAY.sub("", _spell_years(_clean(text)))
    for candidate in RULES:
        if candidate.quarterly_only and not quarterly:
            continue
        match = candidate.pattern.fullmatch(text if candidate.raw else cleaned)
        if match is None:
            continue
        result = candidate.resolve(match, ref, tense)
        if result is Verdict.NOT_TEMPORAL:
            return None
        if result is not None:
            return result
    return None

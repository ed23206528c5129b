"""The one search model both backends compile: filters, facets, sort and an opaque cursor.

The API turns HTTP arguments into a :class:`SearchQuery`; each backend compiles it into its
own query language. Keeping the model here (not in the API) lets the CLI and tests search too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from indexer.errors import InvalidQuery

#: Facet fields, in the order responses list them. Each is also a filter parameter.
FACETS: tuple[str, ...] = ("party", "venue", "place", "source", "month", "demand_by", "demand_of")
#: Facets of merged events.
EVENT_FACETS: tuple[str, ...] = (
    "party", "venue", "source", "month", "demand_by", "demand_of", "type",
)  # fmt: skip

#: Facets of stories (threads of events).
STORY_FACETS: tuple[str, ...] = ("party", "venue", "source", "month")

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
#: Whether article search includes syndicated copies (articles with a ``duplicate_of``).
Duplicates = Literal["include", "exclude"]
DUPLICATES: tuple[str, ...] = ("include", "exclude")

MAX_PAGE_SIZE = 100
MAX_FACET_SIZE = 100


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended, and the snapshot that keeps later arrivals out of the walk."""

    sort: str
    after: tuple[Any, ...]
    snapshot_us: int
    query_hash: str


@dataclass(frozen=True)
class SearchQuery:
    """A faceted search: free text, facet filters (OR within a facet, AND across), a date range."""

    q: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None
    sort: Sort | None = None
    size: int = 10
    facet_size: int = 10
    cursor: Cursor | None = None
    facets: tuple[str, ...] = FACETS
    event_id: str | None = None
    #: ``exclude``: leave out articles that are copies of another one (articles only).
    duplicates: Duplicates = "include"
    #: Top-level record fields the hits need; hits are then partial record dicts (never
    #: decoded into records), read with only those fields where the backend can.
    fields: tuple[str, ...] | None = None

    @property
    def effective_sort(self) -> Sort:
        """Relevance when there is text to rank by, otherwise newest first."""
        if self.sort is not None:
            return self.sort
        return "relevance" if self.terms() else "newest"

    def terms(self) -> list[Term]:
        """The free-text query parsed into words and quoted phrases."""
        return parse_text_query(self.q or "")

    def fingerprint(self) -> str:
        """Identifies the result set a cursor belongs to (everything but the page position)."""
        payload = {
            "q": self.q or "",
            "filters": {k: sorted(v) for k, v in sorted(self.filters.items()) if v},
            "from": self.date_from,
            "to": self.date_to,
            "sort": self.effective_sort,
            "event": self.event_id,
        }
        if self.duplicates != "include":  # so cursors of searches that never say stay valid
            payload["duplicates"] = self.duplicates
        raw = json.dumps(payload, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def snapshot_us(self) -> int:
        """The ingest-time horizon of this walk: fixed by the first page, carried by the cursor."""
        return self.cursor.snapshot_us if self.cursor else time.time_ns() // 1000

    def other_filters(self, facet: str) -> dict[str, tuple[str, ...]]:
        """Filters of every facet but ``facet``: facet counts ignore their own selection."""
        return {k: v for k, v in self.filters.items() if k != facet and v}


@dataclass(frozen=True)
class FacetBucket:
    """One facet value with its display label and how many records carry it."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    """A page of records with the total, facet counts and the cursor for the next page."""

    hits: Sequence[Any]
    total: int
    facets: Mapping[str, list[FacetBucket]]
    next_cursor: str | None


@dataclass(frozen=True)
class Term:
    """A word or a quoted phrase of the free-text query; all terms must match."""

    text: str
    phrase: bool


def parse_text_query(q: str) -> list[Term]:
    """Split into words and "quoted phrases"; every other character is plain text, never syntax.

    Users paste anything into a search box; treating operators as literal text means no
    input can make either backend fail to parse the query.
    """
    terms: list[Term] = []
    parts = q.split('"')
    for i, part in enumerate(parts):
        inside_quotes = i % 2 == 1 and i < len(parts) - 1
        found = words(part)
        if inside_quotes and len(found) > 1:
            terms.append(Term(" ".join(found), phrase=True))
        else:
            terms.extend(Term(w, phrase=False) for w in found)
    return terms[:32]


#: A maximal run of alphanumeric characters: ``[^\W_]`` is exactly what ``str.isalnum``
#: accepts (``\w`` is that plus the underscore).
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words: the one definition both backends index and query by.

    Each run of alphanumeric characters is one word, lower-cased on its own (lower-casing
    can add characters that are not alphanumeric, such as the dot of a lower-case ``İ``,
    so the text is cut first).
    """
    return [w.lower() for w in _WORD.findall(text)]


def encode_cursor(cursor: Cursor) -> str:
    """Opaque URL-safe token; clients must not build or edit it."""
    fields = {"s": cursor.sort, "a": list(cursor.after), "t": cursor.snapshot_us}
    raw = json.dumps({**fields, "h": cursor.query_hash}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """Parse a token from :func:`encode_cursor`, rejecting anything else with InvalidQuery."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        sort, after, snap, qhash = data["s"], data["a"], data["t"], data["h"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidQuery("cursor is malformed; use the next_cursor of a previous page") from exc
    valid = (
        sort in SORTS
        and isinstance(after, list)
        and len(after) == 2
        and _valid_key(sort, after[0])
        and isinstance(after[1], str)
        and 0 < len(after[1]) <= _MAX_CURSOR_TEXT
        and isinstance(snap, int)
        and not isinstance(snap, bool)
        and 0 <= snap < 2**63
        and isinstance(qhash, str)
        and len(qhash) == 16
    )
    if not valid:
        raise InvalidQuery("cursor is malformed; use the next_cursor of a previous page")
    return Cursor(sort=sort, after=tuple(after), snapshot_us=snap, query_hash=qhash)


_MAX_CURSOR_TEXT = 256  # longer than any id or stored timestamp
_MAX_SCORE = 2.0**53  # relevance scores are small floats; beyond this no backend can compare


def _valid_key(sort: str, key: Any) -> bool:
    """A sort key of the type the sort produces, in a range both backends can bind and compare.

    Relevance sorts by a score (a finite number); newest and oldest by the stored time text.
    Anything else (``10**30``, ``NaN``, a list) would reach SQLite or Elasticsearch and fail
    there, so it is rejected here as a malformed cursor.
    """
    if sort == "relevance":
        return (
            isinstance(key, int | float)
            and not isinstance(key, bool)
            and abs(key) <= _MAX_SCORE  # before isfinite: float(10**400) overflows
            and math.isfinite(key)
        )
    return isinstance(key, str) and len(key) <= _MAX_CURSOR_TEXT


def check_cursor(query: SearchQuery) -> None:
    """A cursor only continues the search it came from."""
    if query.cursor and query.cursor.query_hash != query.fingerprint():
        raise InvalidQuery(
            "cursor belongs to a different search; repeat the same q, filters and sort, "
            "or drop the cursor to start again"
        )

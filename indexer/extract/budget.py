"""What extracting one article may cost, so that no input stalls the worker running it.

Client text is hostile until proven otherwise. Every extraction step runs in time linear in
its input (``tests/extract/test_linear_time.py`` holds each to that on pathological inputs),
so capping the input caps the time. An article over one of these caps is refused with
:class:`indexer.errors.Unprocessable` (the API's 422) before anything is stored:

- ``MAX_TEXT_CHARS`` = 2,000,000 raw characters go into cleaning (the API's body limit is
  1 MiB; files and bulk lines can be longer).
- ``MAX_PARSE_CHARS`` = 500,000 cleaned characters go into spaCy; a long feature is 100,000.
- ``MAX_PARSE_TOKENS`` = 50,000 tokens go into the tagger, parser and NER; 100 KB of news is
  about 21,000. The parse is the dearest step: 0.2 to 1 ms a token, idle to busy core.
- ``MAX_SLOW_PARSES`` = 300 distinct date expressions that no own rule knows go to dateparser
  per article; news needs about one per 1,000 characters. Each costs ~1 ms, up to ~100 ms
  when crafted to be slow.

Caps that never refuse an article, only bound one piece of it:

- ``MAX_WORD_CHARS`` = 200: a run without whitespace longer than this is tokenised in pieces
  of this size. spaCy splits affixes off a run one at a time, in time quadratic in its length
  (8,000 ")" in a row took 17 s); the pieces keep the text, and its offsets, as they are.
- ``MAX_EXPRESSION_CHARS`` = 256: a longer temporal span (NER running over a repeated phrase)
  is no date and is not normalised; the longest in the eval corpora is 104.
- ``MAX_SLOW_PARSE_CHARS`` = 64: dateparser only sees expressions up to this long; the longest
  it dates in the eval corpora is 32, and beyond this it slows down super-linearly.
- ``MAX_PHRASE_TOKENS`` = 1,000: a demand's complement or party phrase spanning more tokens is
  not read (as if it were not there). No sentence in the eval corpora is longer than 369
  tokens; in a chain of clauses ("X demanded that Y demand that ...") every cue's complement
  is the rest of the chain, so reading them all would take time, and give text, quadratic in
  the chain's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from indexer.errors import Unprocessable

MAX_TEXT_CHARS = 2_000_000
MAX_PARSE_CHARS = 500_000
MAX_PARSE_TOKENS = 50_000
MAX_SLOW_PARSES = 300
MAX_WORD_CHARS = 200
MAX_EXPRESSION_CHARS = 256
MAX_SLOW_PARSE_CHARS = 64
MAX_PHRASE_TOKENS = 1000


@dataclass
class _Spent:
    """What the article being extracted has used so far (one per extraction)."""

    slow_parses: set[Any] = field(default_factory=set)


_SPENT: ContextVar[_Spent | None] = ContextVar("storyrecords_extraction_budget", default=None)


@contextmanager
def article_budget() -> Iterator[None]:
    """Count work against one article's budget inside this block (per thread, nestable)."""
    token = _SPENT.set(_Spent())
    try:
        yield
    finally:
        _SPENT.reset(token)


def spend_slow_parse(key: Any) -> None:
    """Charge one dateparser call (a repeat of ``key`` is free); outside a budget, nothing."""
    spent = _SPENT.get()
    if spent is None:
        return
    spent.slow_parses.add(key)
    if len(spent.slow_parses) > MAX_SLOW_PARSES:
        raise Unprocessable(
            f"The text has more than {MAX_SLOW_PARSES:,} date-like expressions that need the "
            "slow general date parser; an article is analysed up to that many. "
            "Send the article body itself, or split it."
        )


def check_text(raw: str) -> None:
    """Refuse raw text longer than cleaning takes."""
    if len(raw) > MAX_TEXT_CHARS:
        raise Unprocessable(
            f"The text is {len(raw):,} characters long; an article is read up to "
            f"{MAX_TEXT_CHARS:,}. Split it into shorter articles."
        )


def check_parse_chars(cleaned: str) -> None:
    """Refuse cleaned text longer than the parser takes."""
    if len(cleaned) > MAX_PARSE_CHARS:
        raise Unprocessable(
            f"After cleaning, the text is {len(cleaned):,} characters long; an article is "
            f"analysed up to {MAX_PARSE_CHARS:,}. Split it into shorter articles."
        )


def check_parse_tokens(count: int) -> None:
    """Refuse cleaned text with more tokens than the parser takes."""
    if count > MAX_PARSE_TOKENS:
        raise Unprocessable(
            f"After cleaning, the text has {count:,} words and marks; an article is analysed "
            f"up to {MAX_PARSE_TOKENS:,}. Split it into shorter articles."
        )

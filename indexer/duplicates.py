"""Which stored article a new one is a syndicated copy of, if any: its ``duplicate_of``.

Candidates come from the store's own full-text search, so no second index is kept: up to
three queries of a few distinctive words (rare in general English, by
:func:`indexer.events.terms.weight`), each from one line of body text (the first, the second,
and one a third of the way in; links, menus, bylines and headlines are too short to count).
Every word of a query must match, so each query only finds articles that share that line;
three lines keep a copy findable when a site re-headlines it, cuts its end or wraps it in
boilerplate.
The few hits are then compared by their MinHash signatures (:mod:`indexer.dedup`), and the
new article points at the earliest stored article of the copies it matches (a copy of a copy
points at the original).

Elasticsearch makes new articles searchable within its refresh interval (1 s), so a copy
stored within a second of its original may be missed there; ``storyrecords reindex`` keeps
``duplicate_of`` as stored.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from indexer.dedup import MIN_SHINGLES, Signature, compare, signature
from indexer.errors import IndexerError
from indexer.events.terms import weight
from indexer.models import Article
from indexer.store.base import Store
from indexer.store.query import SearchQuery, words

#: Words per query (all must match: more words, fewer and surer hits).
QUERY_WORDS = 4
#: A line this long (in words) is body text; shorter ones are headlines, bylines, menus.
BODY_LINE_WORDS = 12
#: Longer lines are read as several, of this many words each.
LINE_WORDS = 40
#: Queries per article: body lines at the start, the next one, and a third of the way in.
QUERIES = 3
#: Hits read per query.
CANDIDATES = 5
_URLISH = ("http://", "https://", "www.")


def _body_lines(text: str) -> list[list[str]]:
    """The words of each line that reads like body text (not a link, menu or headline)."""
    found: list[list[str]] = []
    for line in text.split("\n"):
        if any(mark in line.lower() for mark in _URLISH):
            continue
        tokens = words(line)
        if len(tokens) >= BODY_LINE_WORDS:  # a long paragraph counts as several lines
            found.extend(tokens[i:i + LINE_WORDS] for i in range(0, len(tokens), LINE_WORDS)
                         if len(tokens) - i >= BODY_LINE_WORDS or i == 0)
    return found or [words(text)]


def query_terms(text: str) -> list[list[str]]:
    """The words of each candidate query: the rarest of one body line each.

    One line per query, so a copy that keeps the line matches all its words: the first body
    line, the second, and the one a third of the way in (a copy cut from the end or wrapped in
    another site's furniture keeps those).
    """
    lines = _body_lines(text)
    queries: list[list[str]] = []
    for at in dict.fromkeys((0, 1, len(lines) // 3)):
        if at >= len(lines) or len(queries) >= QUERIES:
            continue
        ranked = sorted(dict.fromkeys(t for t in lines[at] if len(t) >= 3 or t.isdigit()),
                        key=lambda t: (-weight(t), -len(t), t))
        chosen = ranked[:QUERY_WORDS]
        if len(chosen) >= 2 and chosen not in queries:
            queries.append(chosen)
    return queries


@functools.lru_cache(maxsize=256)
def candidate_queries(text: str) -> tuple[SearchQuery, ...]:
    """The searches that find the stored articles sharing a passage with ``text`` (kept for
    the last few texts: a batch looks them up ahead, then again as it ingests)."""
    return tuple(SearchQuery(q=" ".join(terms), size=CANDIDATES, facets=(), sort="relevance")
                 for terms in query_terms(text))


def lookups(article: Article) -> list[SearchQuery]:
    """The searches :func:`find_original` will run for ``article`` (none for a short text)."""
    own = signature_of(article)
    if own is None or own.shingles < MIN_SHINGLES:
        return []
    return list(candidate_queries(article.text))


def candidates(store: Store, text: str, exclude: str) -> list[Article]:
    """Stored articles sharing a passage with ``text`` (``exclude`` is the article's own id)."""
    found: dict[str, Article] = {}
    for query in candidate_queries(text):
        for hit in store.search_articles(query).hits:
            if hit.id != exclude:
                found.setdefault(hit.id, hit)
    return list(found.values())


def signature_of(article: Article) -> Signature | None:
    """The stored signature, or one made now (records from before signatures were kept)."""
    if article.signature:
        try:
            return Signature.decode(article.signature)
        except (ValueError, TypeError):
            pass  # another scheme: make a fresh one
    return signature(article.text)


def earliest(articles: Iterable[Article]) -> Article | None:
    """The article stored first (ties by id)."""
    return min(articles, key=lambda a: (a.indexed_at, a.id), default=None)


def find_original(store: Store, article: Article) -> str | None:
    """The id of the earliest stored article ``article`` is a copy of, or None.

    A failure to search (an unreachable store) is left to the write that follows.
    """
    own = signature_of(article)
    if own is None or own.shingles < MIN_SHINGLES:
        return None
    try:
        hits = candidates(store, article.text, article.id)
    except IndexerError:
        return None
    copied = [hit for hit in hits
              if (theirs := signature_of(hit)) is not None and compare(own, theirs).is_copy]
    if not copied:
        return None
    roots = {hit.duplicate_of for hit in copied if hit.duplicate_of} - {h.id for h in copied}
    known = [*copied, *(store.get_articles(sorted(roots)) if roots else [])]
    first = earliest(a for a in known if a.id != article.id)
    return first.id if first is not None else None

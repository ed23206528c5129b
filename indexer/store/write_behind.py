"""A batch's view of a store: reads come through once, writes wait in memory for one flush.

Assignment reads, decides and writes several records per article (its membership, its
event, its story); one at a time that is ~15 round trips to Elasticsearch per article. A
batch of articles assigned under one hold of the assignment lock mostly touches the same few
events and stories again and again, so :class:`WriteBehind` keeps every record it has read
or written in memory, answers compare-and-set against that (versions here are its own
tokens), and at the end writes each changed record once, with the version it was first
read at: articles (the truth of membership) in one batch, then events, then stories, each
one ``write_batch`` (one ``_bulk`` request, one SQLite transaction).

The assignment code runs unchanged on top of it: it is a Store. What it cannot promise is
that the flush succeeds: a record another writer changed since it was read fails its
compare-and-set, and :func:`indexer.ingest.Indexer.ingest_batch` then assigns the batch's
articles again one at a time (assignment is safe to repeat). A crash before or during the
flush leaves what the single-record path leaves: articles whose events lag, completed by
the next touch or ``storyrecords check --repair``.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

from indexer.errors import Conflict, Moved, NotFound
from indexer.jobs import JobStore
from indexer.keys import KeyRing
from indexer.models import Article, Event, Story
from indexer.store.base import Candidate, Collection, PutResult, RecordWrite, Store
from indexer.store.paging import article_taken, changed_since, final_target
from indexer.store.query import SearchPage, SearchQuery, words

Record = Article | Event | Story


@dataclass
class _Slot:
    """One record as this batch knows it.

    ``value`` None is a record that is not there (never was, or deleted here); ``redirect``
    a retired event or story. ``base`` is the inner store's version when read (None: the
    record is not in the inner store); ``base_known`` is False for an article read without
    its version (a multi-get). ``token`` is the version callers see.
    """

    value: Record | None
    base: str | None
    token: int
    base_known: bool = True
    redirect: str | None = None
    dirty: bool = False
    text: str = ""
    existed: bool = True  # in the inner store when first read


@dataclass
class Flushed:
    """What a flush did: the articles it created, the events it wrote (or meant to), and
    every write that lost a race."""

    created: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    conflicts: list[tuple[str, str, Conflict]] = field(default_factory=list)


def _token(slot: _Slot) -> str:
    return f"batch-{slot.token}"


def _candidate(record: Event | Story) -> Candidate:
    return Candidate(id=record.id, signature=record.signature, first_seen=record.first_seen)


def _live_article(slot: _Slot, article_id: str) -> Article:
    if not isinstance(slot.value, Article):
        raise NotFound(f"no article with id {article_id}")
    return slot.value


class WriteBehind(Store):
    """A Store over ``inner`` whose writes are kept until :meth:`flush` (see the module)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self._tokens = itertools.count(1)
        self._articles: dict[str, _Slot] = {}
        self._events: dict[str, _Slot] = {}
        self._stories: dict[str, _Slot] = {}
        self._candidates: dict[tuple[str, ...], list[Candidate]] = {}
        self._founded: dict[str, list[Candidate]] = {}
        self._searches: dict[str, SearchPage] = {}
        self._words: dict[str, frozenset[str]] = {}
        self._record_words: dict[int, frozenset[str]] = {}
        #: When the prefetched candidates were looked up (µs, less the clock margin): events
        #: founded since then are added under the lock, however long it was waited for.
        self._looked_at: int | None = None

    # -- filling the view ahead ---------------------------------------------------------

    def prefetch_articles(self, article_ids: Sequence[str]) -> None:
        """Read many articles in one round trip (the ones not stored are known absent)."""
        wanted = [i for i in dict.fromkeys(article_ids) if i and i not in self._articles]
        if not wanted:
            return
        found = {a.id: a for a in self.inner.get_articles(wanted)}
        for article_id in wanted:
            article = found.get(article_id)
            self._articles[article_id] = _Slot(
                article, None, next(self._tokens), base_known=article is None,
                existed=article is not None,
            )

    def prefetch_candidates(
        self, terms: Sequence[Sequence[str]], limit: int, *, looked_at: int
    ) -> None:
        """Look up the candidate events of many articles in one round trip; ``looked_at``
        is when (µs, less the clock margin), as ``assign_article`` takes it."""
        if self._looked_at is None or looked_at < self._looked_at:
            self._looked_at = looked_at
        keys = [tuple(each) for each in terms]
        missing = [k for k in dict.fromkeys(keys) if k not in self._candidates]
        if missing:
            for key, found in zip(missing, self.inner.candidate_events_many(missing, limit),
                                  strict=True):
                self._candidates[key] = found

    def prefetch_searches(self, queries: Sequence[SearchQuery]) -> None:
        """Run many article searches in one round trip (a batch's duplicate lookups)."""
        missing = list({repr(q): q for q in queries if repr(q) not in self._searches}.values())
        for query, page in zip(missing, self.inner.search_articles_many(missing), strict=True):
            self._searches[repr(query)] = page  # a query holds dicts: keyed by its repr

    # -- articles -----------------------------------------------------------------------

    def _article(self, article_id: str, *, versioned: bool) -> _Slot:
        slot = self._articles.get(article_id)
        if slot is not None and (slot.base_known or not versioned or slot.dirty):
            return slot
        try:
            article, version = self.inner.get_article_versioned(article_id)
        except NotFound:
            article, version = None, None
        slot = _Slot(article, version, next(self._tokens), existed=article is not None)
        self._articles[article_id] = slot
        return slot

    def get_article(self, article_id: str) -> Article:
        return _live_article(self._article(article_id, versioned=False), article_id)

    def get_article_versioned(self, article_id: str) -> tuple[Article, str]:
        slot = self._article(article_id, versioned=True)
        return _live_article(slot, article_id), _token(slot)

    def get_articles(self, article_ids: Sequence[str]) -> list[Article]:
        wanted = list(dict.fromkeys(i for i in article_ids if i))
        self.prefetch_articles(wanted)
        return [v for i in wanted if isinstance(v := self._articles[i].value, Article)]

    def put_article(self, article: Article) -> PutResult:
        slot = self._article(article.id, versioned=False)
        if isinstance(slot.value, Article):
            if slot.value.content_hash == article.content_hash:
                return PutResult.UNCHANGED
            raise article_taken(article.id)
        slot.value, slot.dirty, slot.token = article, True, next(self._tokens)
        return PutResult.CREATED

    def put_articles(self, articles: Sequence[Article]) -> list[PutResult | Conflict]:
        results: list[PutResult | Conflict] = []
        for article in articles:
            try:
                results.append(self.put_article(article))
            except Conflict as exc:
                results.append(exc)
        return results

    def set_article_event(self, article_id: str, event_id: str | None, *, version: str) -> str:
        slot = self._article(article_id, versioned=True)
        article = _live_article(slot, article_id)
        if version != _token(slot):
            raise changed_since("article", article_id, version)
        slot.value = replace(article, event_id=event_id)
        slot.dirty, slot.token = True, next(self._tokens)
        return _token(slot)

    # -- events and stories: one kind of record ---------------------------------------

    def _record(self, collection: Collection, record_id: str) -> _Slot:
        slots = self._events if collection == "events" else self._stories
        slot = slots.get(record_id)
        if slot is not None:
            return slot
        read = self.inner.get_event if collection == "events" else self.inner.get_story
        try:
            value, version = read(record_id)
            slot = _Slot(value, version, next(self._tokens))
        except Moved as moved:
            slot = _Slot(None, None, next(self._tokens), base_known=False, redirect=moved.new_id)
        except NotFound:
            slot = _Slot(None, None, next(self._tokens), existed=False)
        slots[record_id] = slot
        return slot

    def _get(self, collection: Collection, record_id: str) -> tuple[Event | Story, str]:
        slot = self._record(collection, record_id)
        if slot.redirect is not None:
            raise Moved(record_id, self._final(collection, slot.redirect))
        if not isinstance(slot.value, (Event, Story)):
            raise NotFound(f"no {collection[:-1]} with id {record_id}")
        return slot.value, _token(slot)

    def _final(self, collection: Collection, record_id: str) -> str:
        def redirect_of(current: str) -> str | None:
            return self._record(collection, current).redirect

        return final_target(record_id, redirect_of)

    def _check(self, collection: Collection, record_id: str, version: str | None) -> _Slot:
        """The slot a write may change: compare-and-set against this batch's view."""
        slot = self._record(collection, record_id)
        live = slot.value is not None and slot.redirect is None
        if version is None:
            if slot.value is not None or slot.redirect is not None:
                raise Conflict(f"{collection[:-1]} {record_id} already exists")
        elif not live or version != _token(slot):
            raise changed_since(collection[:-1], record_id, version)
        return slot

    def _put(self, collection: Collection, record: Event | Story, version: str | None,
             text: str) -> str:
        slot = self._check(collection, record.id, version)
        slot.value, slot.text = record, text
        slot.dirty, slot.token = True, next(self._tokens)
        return _token(slot)

    def _retire(self, collection: Collection, record_id: str, into: str | None,
                version: str) -> None:
        slot = self._check(collection, record_id, version)
        slot.value, slot.redirect = None, into
        slot.dirty, slot.token = True, next(self._tokens)

    def get_event(self, event_id: str) -> tuple[Event, str]:
        event, version = self._get("events", event_id)
        assert isinstance(event, Event)
        return event, version

    def put_event(self, event: Event, *, version: str | None, text: str) -> str:
        return self._put("events", event, version, text)

    def retire_event(self, event_id: str, into: str, *, version: str) -> None:
        self._retire("events", event_id, into, version)

    def delete_event(self, event_id: str, *, version: str) -> None:
        self._retire("events", event_id, None, version)

    def get_story(self, story_id: str) -> tuple[Story, str]:
        story, version = self._get("stories", story_id)
        assert isinstance(story, Story)
        return story, version

    def put_story(self, story: Story, *, version: str | None, text: str) -> str:
        return self._put("stories", story, version, text)

    def retire_story(self, story_id: str, into: str, *, version: str) -> None:
        self._retire("stories", story_id, into, version)

    def delete_story(self, story_id: str, *, version: str) -> None:
        self._retire("stories", story_id, None, version)

    # -- what searches cannot see yet ---------------------------------------------------

    def _overlay(self, collection: Collection, found: Sequence[Candidate],
                 terms: Sequence[str] | None = None) -> list[Candidate]:
        """What the index would answer if this batch's writes were in it.

        Searched candidates as the batch has changed them (retired ones dropped); then, for a
        search by ``terms``, every record the batch wrote whose text holds one of them (an
        index sees a write at once on SQLite); for the founded lists (``terms`` None), every
        record it founded.
        """
        slots = self._events if collection == "events" else self._stories
        wanted = {w for t in terms or () for w in words(t)}
        out: dict[str, Candidate] = {}
        for candidate in found:
            slot = slots.get(candidate.id)
            if slot is None or not slot.dirty:
                out.setdefault(candidate.id, candidate)
            elif isinstance(slot.value, (Event, Story)):
                out.setdefault(candidate.id, _candidate(slot.value))
        for record_id, slot in slots.items():
            if not slot.dirty or not isinstance(slot.value, (Event, Story)):
                continue
            if (not slot.existed) if terms is None else bool(wanted & self._text_words(slot)):
                out.setdefault(record_id, _candidate(slot.value))
        return list(out.values())

    def _text_words(self, slot: _Slot) -> frozenset[str]:
        """The words a record written here is found by (its search text), kept per version."""
        found = self._record_words.get(slot.token)
        if found is None:
            found = self._record_words[slot.token] = frozenset(words(slot.text))
        return found

    def _words_of(self, article: Article) -> frozenset[str]:
        found = self._words.get(article.id)
        if found is None:
            found = self._words[article.id] = frozenset(
                words(f"{article.title or ''} {article.text}"))
        return found

    def candidate_events(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        found = self._candidates.get(tuple(terms))
        if found is None:
            found = self.inner.candidate_events(terms, limit)
        return self._overlay("events", found, terms)

    def events_founded_since(self, since_us: int) -> list[Candidate]:
        # Read once: the batch holds the assignment lock, so nobody else founds meanwhile.
        # From when the candidates were prefetched, not from ``since_us`` (taken under the
        # lock): an event founded while the batch waited for the lock is in neither else.
        if self._looked_at is not None:
            since_us = min(since_us, self._looked_at)
        if "events" not in self._founded:
            self._founded["events"] = self.inner.events_founded_since(since_us)
        return self._overlay("events", self._founded["events"])

    def candidate_stories(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        return self._overlay("stories", self.inner.candidate_stories(terms, limit), terms)

    def stories_founded_since(self, since_us: int) -> list[Candidate]:
        if "stories" not in self._founded:
            self._founded["stories"] = self.inner.stories_founded_since(since_us)
        return self._overlay("stories", self._founded["stories"])

    def assignment_lock(self) -> AbstractContextManager[None]:
        """Nothing to take: the batch is assigned under one hold of the inner store's lock."""
        return contextlib.nullcontext()

    # -- the flush ------------------------------------------------------------------------

    def flush(self, *, after_articles: Callable[[], None] | None = None) -> Flushed:
        """Write every changed record once: articles, then events, then stories.

        ``after_articles`` runs between the truth and what is derived from it, when articles
        were written (a crash test's failpoint).
        """
        flushed = Flushed()
        article_writes = [w for i, s in self._articles.items()
                          if s.dirty and (w := self._article_write(i, s)) is not None]
        for write, outcome in self._apply(article_writes):
            if outcome is None and write.action == "create":
                flushed.created.add(write.record_id)
            elif outcome is not None:
                flushed.conflicts.append(("articles", write.record_id, outcome))
        if after_articles is not None and article_writes:
            after_articles()
        for collection in ("events", "stories"):
            slots = self._events if collection == "events" else self._stories
            writes = [w for i, s in slots.items() if s.dirty
                      and (w := self._record_write(collection, i, s)) is not None]
            if collection == "events":
                flushed.events.update(w.record_id for w in writes)
            for write, outcome in self._apply(writes):
                if outcome is not None:
                    flushed.conflicts.append((collection, write.record_id, outcome))
        return flushed

    def _apply(self, writes: list[RecordWrite]) -> list[tuple[RecordWrite, Conflict | None]]:
        return list(zip(writes, self.inner.write_batch(writes), strict=True)) if writes else []

    @staticmethod
    def _article_write(article_id: str, slot: _Slot) -> RecordWrite | None:
        if not isinstance(slot.value, Article):
            return None
        if not slot.existed:  # created here: one create with its final membership
            return RecordWrite("articles", "create", article_id, record=slot.value)
        return RecordWrite("articles", "membership", article_id, version=slot.base,
                           event_id=slot.value.event_id)

    @staticmethod
    def _record_write(collection: Collection, record_id: str,
                      slot: _Slot) -> RecordWrite | None:
        if not slot.existed:
            if slot.value is None:
                return None  # founded and folded away within the batch: nobody saw it
            return RecordWrite(collection, "create", record_id, record=slot.value,
                               text=slot.text)
        if slot.value is not None:
            return RecordWrite(collection, "update", record_id, version=slot.base,
                               record=slot.value, text=slot.text)
        if slot.redirect is not None:
            return RecordWrite(collection, "retire", record_id, version=slot.base,
                               into=slot.redirect)
        return RecordWrite(collection, "delete", record_id, version=slot.base)

    # -- everything else goes to the inner store as it is ---------------------------------

    def ping(self) -> None:
        self.inner.ping()

    def delete_article(self, article_id: str, *, version: str | None = None) -> None:
        raise NotImplementedError("deletes are not batched")

    def refresh(self) -> None:
        self.inner.refresh()

    def search_articles(self, query: SearchQuery) -> SearchPage:
        """The inner store's page, then the batch's new articles holding every query word
        (a copy of an article earlier in the same batch is still found)."""
        page = self._searches.get(repr(query)) or self.inner.search_articles(query)
        wanted = set(words(query.q or ""))
        listed = {hit.id for hit in page.hits}
        pending = [
            slot.value for slot in self._articles.values()
            if not slot.existed and isinstance(slot.value, Article)
            and slot.value.id not in listed and wanted <= self._words_of(slot.value)
        ]
        if not wanted or not pending:
            return page
        return replace(page, hits=[*page.hits, *pending], total=page.total + len(pending))

    def count_articles(self) -> int:
        return self.inner.count_articles()

    def iter_articles(self) -> Iterator[Article]:
        return self.inner.iter_articles()

    def add_redirect(self, event_id: str, into: str) -> None:
        raise NotImplementedError("redirects are added by rebuilds, which are not batched")

    def redirects(self) -> dict[str, str]:
        return self.inner.redirects()

    def articles_of_event(self, event_id: str) -> list[Article]:
        return self.inner.articles_of_event(event_id)

    def iter_events(self) -> Iterator[tuple[Event, str]]:
        return self.inner.iter_events()

    def delete_redirect(self, event_id: str) -> None:
        raise NotImplementedError("repairs are not batched")

    def events_of_story(self, story_id: str) -> list[Event]:
        return self.inner.events_of_story(story_id)

    def search_stories(self, query: SearchQuery) -> SearchPage:
        return self.inner.search_stories(query)

    def iter_stories(self) -> Iterator[tuple[Story, str]]:
        return self.inner.iter_stories()

    def story_redirects(self) -> dict[str, str]:
        return self.inner.story_redirects()

    def search_document_problems(self) -> Iterator[tuple[str, str, str]]:
        return self.inner.search_document_problems()

    def repair_search_document(self, collection: str, record_id: str) -> None:
        raise NotImplementedError("repairs are not batched")

    def search_events(self, query: SearchQuery) -> SearchPage:
        return self.inner.search_events(query)

    def begin_rebuild(self) -> Store:
        raise NotImplementedError("rebuilds are not batched")

    def activate(self, rebuilt: Store) -> Store:
        raise NotImplementedError("rebuilds are not batched")

    def drop(self) -> None:
        raise NotImplementedError("rebuilds are not batched")

    def rebuild_lock(self) -> AbstractContextManager[None]:
        return self.inner.rebuild_lock()

    def keys(self) -> KeyRing:
        return self.inner.keys()

    def jobs(self) -> JobStore:
        return self.inner.jobs()

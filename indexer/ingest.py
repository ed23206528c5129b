"""Turn a submitted article into a stored record: id, extraction, idempotent write."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from indexer import ids
from indexer.duplicates import find_original
from indexer.errors import (
    Conflict,
    IndexerError,
    Moved,
    NotAssigned,
    NotFound,
    StoreUnavailable,
    Unprocessable,
)
from indexer.events.assign import ATTEMPTS, assign_article, detach_article, rederive
from indexer.events.story_assign import leave_story, update_story
from indexer.failpoints import failpoint
from indexer.language import is_english, resolve_language
from indexer.models import ENGLISH_ONLY_STEPS, Article, ArticleInput, Extraction
from indexer.store.base import PutResult, Store
from indexer.timefmt import now_iso

Extractor = Callable[[ArticleInput], Extraction]
log = logging.getLogger(__name__)


#: ``STORYRECORDS_EXTRACTOR=none``: a benchmark and test switch that skips the NLP pipeline
#: (no spaCy): the text is stored as sent, stripped, and nothing is extracted from it. For
#: loads where storing and event bookkeeping are measured, never for a real deployment.
EXTRACTOR_VARIABLE = "STORYRECORDS_EXTRACTOR"
NO_NLP_VERSION = "none-1"


def _no_extraction(item: ArticleInput) -> Extraction:
    return Extraction(text=item.text.strip())


def default_extractor() -> tuple[Extractor, str]:
    """The real NLP pipeline and its version (spaCy loads on first use, not here).

    ``STORYRECORDS_EXTRACTOR=none`` selects :func:`_no_extraction` instead (benchmarks and
    fault tests only); any other value but ``nlp`` or empty is refused.
    """
    chosen = os.environ.get(EXTRACTOR_VARIABLE, "").strip().lower()
    if chosen == "none":
        return _no_extraction, NO_NLP_VERSION
    if chosen not in ("", "nlp"):
        raise ValueError(f"{EXTRACTOR_VARIABLE} must be 'nlp' or 'none', got {chosen!r}")
    from indexer.pipeline import EXTRACTOR_VERSION

    return NlpExtractor(), EXTRACTOR_VERSION


class NlpExtractor:
    """The real pipeline, one article at a time or many (:meth:`many`: the model parses them
    as one batch, as ``nlp.pipe`` does)."""

    def __call__(self, item: ArticleInput) -> Extraction:
        from indexer.pipeline import default_pipeline

        return default_pipeline().extract(
            item.text, published_at=item.published_at, title=item.title
        )

    def many(self, items: Sequence[ArticleInput]) -> list[Extraction | Unprocessable]:
        from indexer.pipeline import default_pipeline

        return default_pipeline().extract_many([(i.text, i.published_at) for i in items])


def extract_many(
    extract: Extractor, items: Sequence[ArticleInput]
) -> list[Extraction | Unprocessable]:
    """Each item's extraction, or the Unprocessable that refused it, in order: in one batch
    when the extractor can (``extract.many``), else one at a time."""
    many = getattr(extract, "many", None)
    if many is not None:
        found: list[Extraction | Unprocessable] = many(items)
        return found
    out: list[Extraction | Unprocessable] = []
    for item in items:
        try:
            out.append(extract(item))
        except Unprocessable as exc:
            out.append(exc)
    return out


class LanguageAware:
    """An extractor that runs only the cleaning step for text that is not English.

    The language is the item's own (given by the client, or by the page it was read from),
    else detected from the text when the text is long enough to tell
    (:func:`indexer.language.resolve_language`). The other steps only know English: run on
    foreign text they would invent English parties and dates, so they are skipped and the
    extraction lists them in ``skipped_steps``.
    """

    def __init__(self, extract: Extractor) -> None:
        self.inner = extract

    def __call__(self, item: ArticleInput) -> Extraction:
        language, source = self._language(item)
        if is_english(language):
            return _labelled(self.inner(item), language, source, ())
        return _labelled(_cleaned_only(item), language, source, ENGLISH_ONLY_STEPS)

    def many(self, items: Sequence[ArticleInput]) -> list[Extraction | Unprocessable]:
        """:meth:`__call__` of each item, the English ones extracted as one batch."""
        languages = [self._language(item) for item in items]
        english = iter(extract_many(self.inner, [
            item for item, (language, _) in zip(items, languages, strict=True)
            if is_english(language)]))
        out: list[Extraction | Unprocessable] = []
        for item, (language, source) in zip(items, languages, strict=True):
            try:
                if is_english(language):
                    found = next(english)
                    out.append(found if isinstance(found, Unprocessable)
                               else _labelled(found, language, source, ()))
                else:
                    out.append(_labelled(_cleaned_only(item), language, source,
                                         ENGLISH_ONLY_STEPS))
            except Unprocessable as exc:
                out.append(exc)
        return out

    @staticmethod
    def _language(item: ArticleInput) -> tuple[str, str]:
        given_source = None
        if item.language and item.page is not None:
            given_source = item.page.sources.get("language")
        return resolve_language(item.text, item.language, given_source)


def _cleaned_only(item: ArticleInput) -> Extraction:
    """Text the English steps must not see: cleaned, nothing extracted."""
    from indexer.extract.budget import check_text
    from indexer.extract.clean import clean_text

    check_text(item.text)  # the same cap as the English pipeline's
    return Extraction(text=clean_text(item.text))


def _labelled(extraction: Extraction, language: str, source: str,
              skipped: tuple[str, ...]) -> Extraction:
    return replace(extraction, language=language, language_source=source,
                   skipped_steps=skipped)


def language_aware(extract: Extractor) -> Extractor:
    """``extract`` wrapped in :class:`LanguageAware` (once: wrapping twice changes nothing)."""
    return extract if isinstance(extract, LanguageAware) else LanguageAware(extract)


@dataclass(frozen=True)
class IngestResult:
    """The stored record and whether this call created it."""

    article: Article
    created: bool


def input_hash(item: ArticleInput) -> str:
    """Everything the client sent, so a re-post with other metadata is not mistaken for a repeat."""
    meta = "\x1f".join(
        v or "" for v in (item.url, item.source, item.published_at, item.language)
    )
    return ids.content_hash(item.text, f"{item.title or ''}\x1f{meta}")


def article_id_for(item: ArticleInput) -> str:
    """The client's id, or one derived from title and text."""
    return item.id or ids.article_id(item.text, item.title)


def build_article(item: ArticleInput, extraction: Extraction, extractor_version: str) -> Article:
    """Assemble the record; pure apart from the ``indexed_at`` clock reading."""
    from indexer.dedup import signature

    return Article(
        id=article_id_for(item),
        text=extraction.text,
        content_hash=input_hash(item),
        extractor_version=extractor_version,
        indexed_at=now_iso(),
        title=item.title,
        url=item.url,
        source=item.source,
        published_at=item.published_at,
        language=extraction.language or item.language or "en",
        language_source=extraction.language_source or ("client" if item.language else "default"),
        skipped_steps=extraction.skipped_steps,
        page=item.page,
        signature=signature(extraction.text).encode(),
        parties=extraction.parties,
        venues=extraction.venues,
        places=extraction.places,
        dates=extraction.dates,
        demands=extraction.demands,
        facts=extraction.facts,
    )


class Indexer:
    """Ingests articles into a store; the extractor is injected so tests can stay model-free."""

    def __init__(self, store: Store, extract: Extractor, extractor_version: str) -> None:
        self.store = store
        self._extract = language_aware(extract)
        self.extractor_version = extractor_version

    @property
    def extractor(self) -> Extractor:
        """The extractor as this indexer runs it (English-only steps skipped for others)."""
        return self._extract

    def stored(self, items: Sequence[ArticleInput]) -> set[str]:
        """The ids among ``items`` that are stored already (repeats, or clashes): nothing to
        extract for them. Read in batches, not one request per item."""
        ids = [article_id_for(item) for item in items]
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            found.update(a.id for a in self.store.get_articles(ids[start : start + 500]))
        return found

    def ingest(self, item: ArticleInput, extraction: Extraction | None = None) -> IngestResult:
        """Store the article once; a repeat returns the stored record, a clash raises Conflict.

        ``extraction`` is the item's extraction when it was done elsewhere already (a pool of
        extraction processes); otherwise it is done here.
        """
        article_id = article_id_for(item)
        try:
            existing = self.store.get_article(article_id)
        except NotFound:
            existing = None
        if existing is not None:
            if existing.content_hash == input_hash(item):
                # A repeat, or a retry of a request that stored it and then failed: finish
                # whatever the first attempt left undone (assignment is safe to repeat).
                return IngestResult(self._assign(existing, created=False), created=False)
            raise Conflict(
                f"article {article_id} already exists with different content or metadata; "
                "delete it first or post without an id"
            )
        if extraction is None:
            extraction = self._extract(item)
        if not extraction.text.strip():
            raise Unprocessable(
                "Nothing article-like was left after cleaning: the text is only page furniture "
                "(advertising, sign-up prompts, link lists). Send the article body itself."
            )
        article = self._build(item, extraction)
        article = replace(article, duplicate_of=find_original(self.store, article))
        created = self.store.put_article(article) is PutResult.CREATED
        self._after_put()
        return IngestResult(self._assign(article, created=created), created=created)

    def _after_put(self) -> None:
        failpoint("after-put")

    def _build(self, item: ArticleInput, extraction: Extraction) -> Article:
        return build_article(item, extraction, self.extractor_version)

    def ingest_batch(
        self, items: Sequence[tuple[ArticleInput, Extraction | None]]
    ) -> list[IngestResult | IndexerError]:
        """Ingest many articles with one hold of the assignment lock and one write per record.

        Each item gets what :meth:`ingest` would have given it, or the error it would have
        raised (Conflict, Unprocessable, StoreUnavailable), in order. Articles are assigned
        in order against a :class:`WriteBehind` view, so a later article of the batch joins
        the event an earlier one founded; then articles, events and stories are written in
        three batches. When any write loses a race, the batch's articles are ingested again
        one at a time (a repeat finishes what the batch left); when the store fails, every
        article not refused gets the error and nothing acknowledged is lost (see
        ``indexer.store.write_behind``).
        """
        from indexer.duplicates import lookups
        from indexer.events import assign
        from indexer.events.assign import CANDIDATES, RETRIEVAL_TERMS
        from indexer.events.similarity import retrieval_terms
        from indexer.store.write_behind import WriteBehind

        view = WriteBehind(self.store)
        batch = _InBatch(view, self._extract, self.extractor_version)
        try:
            ids = [article_id_for(item) for item, _ in items]
            stored = {a.id for a in view.get_articles(ids)}  # one multi-get, kept in the view
        except StoreUnavailable as exc:
            return [exc for _ in items]
        fresh = [article_id not in stored for article_id in ids]  # ids hash the whole text
        # One list decides who goes through the model: its answers are read back in order.
        to_model = [new and extraction is None
                    for (_, extraction), new in zip(items, fresh, strict=True)]
        extracted = iter(extract_many(self._extract, [
            item for (item, _), needed in zip(items, to_model, strict=True) if needed]))
        prepared: list[tuple[ArticleInput, Extraction | None] | IndexerError] = []
        for (item, extraction), needed in zip(items, to_model, strict=True):
            found = next(extracted) if needed else extraction
            prepared.append(found if isinstance(found, Unprocessable) else (item, found))
        try:
            built = [batch.prebuild(p[0], p[1]) for p, new in zip(prepared, fresh, strict=True)
                     if new and isinstance(p, tuple) and p[1] is not None]
            # Looked up before the lock, as one at a time: candidates and possible originals.
            view.prefetch_candidates([retrieval_terms(a, RETRIEVAL_TERMS) for a in built],
                                     CANDIDATES, looked_at=time.time_ns() // 1000
                                     - assign.RECENT_MARGIN_US)
            view.prefetch_searches([q for a in built for q in lookups(a)])
            with self.store.assignment_lock():
                results = [p if isinstance(p, IndexerError) else batch.attempt(*p)
                           for p in prepared]
                flushed = view.flush(after_articles=self._after_put)
        except StoreUnavailable as exc:  # nothing of it acknowledged: all of it to do again
            return [p if isinstance(p, IndexerError) else exc for p in prepared]
        if not flushed.conflicts:
            return results
        log.info("a batch of %d lost %d races; ingesting it again one at a time",
                 len(items), len(flushed.conflicts))
        again: list[IngestResult | IndexerError] = []
        for p, result in zip(prepared, results, strict=True):
            if not isinstance(result, IngestResult) or not isinstance(p, tuple):
                again.append(result)
                continue
            try:
                redone = self.ingest(*p)
            except IndexerError as exc:
                again.append(exc)
                continue
            # Created by the flush counts only for the item the batch created it for (the
            # first of its id); a repeat of it in the batch was told "unchanged" there too.
            created = redone.created or (result.created and redone.article.id in flushed.created)
            again.append(IngestResult(redone.article, created=created))
        self._rederive_written(flushed.events, stories={
            record_id for collection, record_id, _ in flushed.conflicts
            if collection == "stories"})
        return again

    def _rederive_written(self, event_ids: set[str], *, stories: set[str]) -> None:
        """Derive the events a lost batch wrote again from their members' truth, and bring
        the stories whose write lost its race up to date with their events.

        Each event was derived from the batch's view of its members; where an article's own
        write lost its race (another client stored other content under its id, or moved it),
        the event lists an article that is not its member, described by what was not
        stored. A story write that lost leaves the story's entries as they were (one at a
        time, ``update_story`` reads it again and retries).
        """
        try:
            with self.store.assignment_lock():
                for event_id in sorted(event_ids):
                    self._rederive_one(event_id)
                for story_id in sorted(stories):
                    for event in self.store.events_of_story(story_id):
                        update_story(self.store, event)
        except IndexerError as exc:  # none of it acknowledged by this batch
            log.warning("events written by a lost batch are left for check --repair: %s", exc)

    def _rederive_one(self, event_id: str) -> None:
        try:
            event, version = self.store.get_event(event_id)
            members = self.store.articles_of_event(event_id)
            if {a.id for a in members} == set(event.articles):
                return
            if members:
                rederive(self.store, event_id, adding=members)
            else:
                self.store.delete_event(event_id, version=version)
                leave_story(self.store, event_id, event.story_id, into=None)
        except (NotFound, Moved, Conflict) as exc:  # changed meanwhile: its writer derived it
            log.info("event %s written by a lost batch changed meanwhile: %s", event_id, exc)

    def delete(self, article_id: str) -> None:
        """Delete an article and take it out of its event (dropping an event left empty).

        The event is updated first and the article's record removed last (compare-and-set on
        the version read), so a failure in between changes no truth: the article is still
        there, a retry finishes the job.
        """
        for _ in range(ATTEMPTS):
            article, version = self.store.get_article_versioned(article_id)
            detach_article(self.store, article)
            try:
                self.store.delete_article(article_id, version=version)
                return
            except Conflict:
                continue  # it moved to another event meanwhile: detach it from that one
        raise Conflict(f"article {article_id} keeps changing; could not delete it")

    def _assign(self, article: Article, *, created: bool) -> Article:
        try:
            event = assign_article(self.store, article)
        except (StoreUnavailable, Conflict) as exc:
            raise NotAssigned(article.id, stored_now=created) from exc
        return replace(article, event_id=event.id)


def _built_key(item: ArticleInput) -> tuple[str, str]:
    return article_id_for(item), input_hash(item)


class _InBatch(Indexer):
    """The indexer of one batch: over a WriteBehind view, where nothing is stored until the
    flush (so the crash point after storing is in the flush, after the articles)."""

    def __init__(self, store: Store, extract: Extractor, extractor_version: str) -> None:
        super().__init__(store, extract, extractor_version)
        #: Keyed by id and input: two items of one id with other content or metadata are two
        #: records (the second a conflict), never the first stored with the second's fields.
        self._built: dict[tuple[str, str], Article] = {}

    def _after_put(self) -> None:
        return None

    def prebuild(self, item: ArticleInput, extraction: Extraction) -> Article:
        """Build the record ahead (its lookups are prefetched from it); ingest uses it."""
        article = self._built[_built_key(item)] = build_article(
            item, extraction, self.extractor_version)
        return article

    def _build(self, item: ArticleInput, extraction: Extraction) -> Article:
        return self._built.pop(_built_key(item), None) or super()._build(item, extraction)

    def attempt(
        self, item: ArticleInput, extraction: Extraction | None
    ) -> IngestResult | IndexerError:
        """:meth:`ingest`, its refusals returned; a store failure aborts the whole batch."""
        try:
            return self.ingest(item, extraction)
        except NotAssigned as exc:
            if isinstance(exc.__cause__, StoreUnavailable):
                raise exc.__cause__ from exc
            return exc  # lost races in memory: stored unassigned, finished by a repeat
        except (Conflict, Unprocessable) as exc:
            return exc

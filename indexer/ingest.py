"""Turn a submitted article into a stored record: id, extraction, idempotent write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from indexer import ids
from indexer.errors import Conflict, NotAssigned, NotFound, StoreUnavailable, Unprocessable
from indexer.events.assign import ATTEMPTS, assign_article, detach_article
from indexer.failpoints import failpoint
from indexer.models import Article, ArticleInput, Extraction
from indexer.store.base import PutResult, Store
from indexer.timefmt import now_iso

Extractor = Callable[[ArticleInput], Extraction]


def default_extractor() -> tuple[Extractor, str]:
    """The real NLP pipeline and its version (spaCy loads on first use, not here)."""
    from indexer.pipeline import EXTRACTOR_VERSION, default_pipeline

    def extract(item: ArticleInput) -> Extraction:
        return default_pipeline().extract(
            item.text, published_at=item.published_at, title=item.title
        )

    return extract, EXTRACTOR_VERSION


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
        language=item.language or "en",
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
        self._extract = extract
        self.extractor_version = extractor_version

    def ingest(self, item: ArticleInput) -> IngestResult:
        """Store the article once; a repeat returns the stored record, a clash raises Conflict."""
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
        extraction = self._extract(item)
        if not extraction.text.strip():
            raise Unprocessable(
                "Nothing article-like was left after cleaning: the text is only page furniture "
                "(advertising, sign-up prompts, link lists). Send the article body itself."
            )
        article = build_article(item, extraction, self.extractor_version)
        created = self.store.put_article(article) is PutResult.CREATED
        failpoint("after-put")
        return IngestResult(self._assign(article, created=created), created=created)

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

"""What a client may submit as an article, and one record's outcome whichever door it came in by.

The API's POST and bulk endpoints and ``storyrecords index`` all validate with
:class:`ArticleInSchema` and ingest through :func:`ingest_record`, so the same input gets the
same answer everywhere. Every field is validated as a whole string and stored in one
normalised form: a value that could be read two ways is refused, not guessed at.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import langcodes
import marshmallow as ma
from marshmallow import validate

from indexer.errors import Conflict, IndexerError, StoreUnavailable, Unprocessable
from indexer.ids import ID_PATTERN, is_valid_id
from indexer.ingest import Indexer, IngestResult
from indexer.models import ArticleInput, Extraction, PageInfo
from indexer.timefmt import normalise_published
from indexer.web.limits import MAX_PAGE_BYTES

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 500_000
MAX_TITLE_CHARS = 1000
MAX_SOURCE_CHARS = 200
MAX_URL_CHARS = 2048

Status = Literal["created", "unchanged", "rejected", "conflict", "unavailable"]


def has_lone_surrogate(value: str) -> bool:
    """JSON can carry ``\\ud800`` alone; it is not text and cannot be stored or encoded."""
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def is_visible(ch: str) -> bool:
    """Letters, marks, digits, punctuation, symbols: what a reader would see on the page."""
    return unicodedata.category(ch)[0] in "LMNPS"


def squeeze(value: str) -> str:
    """Surrounding whitespace dropped and inner runs made one space (titles, source names)."""
    return " ".join(value.split())


class Text(ma.fields.String):
    """A string that is real Unicode text; ``visible`` also asks for one visible character."""

    def __init__(self, *args: Any, visible: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visible = visible

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        if has_lone_surrogate(text):
            raise ma.ValidationError("contains a lone UTF-16 surrogate, which is not text")
        if self.visible and not any(is_visible(ch) for ch in text):
            raise ma.ValidationError("has no visible characters")
        return text


class Squeezed(Text):
    """Text stored with its whitespace normalised, so ``"reuters "`` and ``"reuters"`` are one."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return squeeze(super()._deserialize(value, attr, data, **kwargs))


class PublishedAt(Text):
    """RFC 3339 date-time with an offset, or a ``YYYY-MM-DD`` date; nothing else."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_published(raw)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from exc


class LanguageTag(Text):
    """A well-formed BCP 47 tag, stored in canonical form (``en``, ``zh-Hant``, ``es-419``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 64 or not langcodes.tag_is_valid(raw):
            raise ma.ValidationError("must be a BCP 47 language tag such as en, zh-Hant or es-419")
        return str(langcodes.standardize_tag(raw))


class ArticleId(Text):
    """A client-chosen id: the whole string must match, a trailing newline included."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not is_valid_id(raw):
            raise ma.ValidationError(
                "must be 1-128 of A-Z a-z 0-9 . _ : - starting with a letter or digit, not 'bulk'"
            )
        return raw


class ArticleInSchema(ma.Schema):
    """An article to index: its ``text``, or the ``html`` of the web page it is on (exactly one
    of the two). Everything else is optional; the id is derived from content if absent.

    From a page the server takes the article body and what the page says about itself
    (title, authors, publication date, canonical URL, site name as ``source``, language),
    each recorded in the stored article's ``page.sources`` with where it came from; a field
    given here wins over the page's (``client``). What the stored record says about the page
    is only ever derived by the server: there is no field to send it.
    """

    class Meta:
        unknown = ma.RAISE

    text = Text(
        visible=True,
        validate=validate.Length(min=1, max=MAX_TEXT_CHARS),
        metadata={
            "description": "The article body as plain text; leading blank lines are fine. "
            "Boilerplate is removed, and every offset in the stored record points into the "
            "cleaned text it is stored with. Exactly one of `text` and `html` is required "
            "(neither, or both, is a 422)."
        },
    )
    html = Text(
        validate=validate.Length(min=1),
        metadata={
            "description": "A whole web page (`<!doctype html>…`) instead of `text`: the article "
            "is extracted from it (boilerplate, navigation and related links left out, "
            "paragraphs kept as lines). A page with no article in it (an index or error page) "
            "is a 422 (`/problems/not-an-article`), input that is not a readable HTML page a "
            "422 (`/problems/not-a-page`), a page over the page size limit a 413. Send `url` "
            "with it: relative links resolve against it and it names the site."
        },
    )
    title = Squeezed(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_TITLE_CHARS)
    )
    url = ma.fields.Url(
        load_default=None,
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=MAX_URL_CHARS),
    )
    source = Squeezed(
        load_default=None,
        allow_none=True,
        visible=True,
        validate=validate.Length(min=1, max=MAX_SOURCE_CHARS),
        metadata={"description": "Who published it, e.g. `reuters`; a facet."},
    )
    published_at = PublishedAt(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "An RFC 3339 date-time with offset (`2022-01-11T09:30:00+01:00`) or "
            "a date (`2022-01-11`); relative dates in the text are resolved against it. "
            "Without it they stay unresolved.",
            "example": "2022-01-11",
        },
    )
    language = LanguageTag(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "BCP 47 language tag such as `en`, `zh-Hant` or `es-419`; stored in "
            "canonical case."
        },
    )
    id = ArticleId(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Client-chosen id (not `bulk`); if absent it is derived from the "
            "content.",
            "pattern": ID_PATTERN,
        },
    )

    @ma.validates_schema
    def _text_or_html(self, data: dict[str, Any], **_: Any) -> None:
        if "text" in data and "html" in data:
            raise ma.ValidationError("send either text or html, not both", "html")
        if "text" not in data and "html" not in data:
            raise ma.ValidationError(
                "Missing data for required field: send text (the article) or html (its page).",
                "text",
            )


class TrustedArticleSchema(ArticleInSchema):
    """:class:`ArticleInSchema` plus ``page``: for records this process derived from a page
    itself (``storyrecords index`` of pages, archives and feeds; ``follow``). Never used for
    anything a client sends, so a client cannot forge a page's provenance."""

    page = ma.fields.Dict(keys=ma.fields.String(), load_default=None, allow_none=True)


_schema = ArticleInSchema()
_trusted = TrustedArticleSchema()
#: Fields a page may fill when the client left them out (dropped again if they do not validate).
_PAGE_FIELDS = ("title", "url", "source", "published_at", "language")


def to_input(data: dict[str, Any]) -> ArticleInput:
    """Validated fields (``text``, not ``html``) -> the indexer's input record."""
    fields = dict(data)
    page = fields.pop("page", None)
    return ArticleInput(**fields, page=PageInfo.from_dict(page) if page else None)


def from_page(
    fields: dict[str, Any],
    html: str | bytes,
    *,
    charset: str | None = None,
    max_bytes: int = MAX_PAGE_BYTES,
    keep_html: bool = False,
) -> ArticleInput:
    """The article on a page, with the client's validated ``fields`` winning over the page's.

    Raises :class:`~indexer.web.errors.PageTooLarge`, ``BadPage`` or ``NotAnArticle`` (all
    ``Unprocessable`` on field ``html``). What the page says about itself is validated as a
    client's field would be; a value that would not pass (a title too long, a date in no
    readable form) is left out rather than refusing the article.
    """
    from indexer.web.page import extract_page
    from indexer.web.records import PAGE_KEY, page_data

    page = extract_page(html, fields.get("url"), charset=charset, max_bytes=max_bytes)
    given = {name: fields.get(name) for name in _PAGE_FIELDS}
    data = page_data(page, given, keep_html=keep_html)
    if fields.get("id") is not None:
        data["id"] = fields["id"]
    for _ in range(len(_PAGE_FIELDS) + 1):
        try:
            return to_input(_trusted.load(data))
        except ma.ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {}
            if "text" in messages:
                raise Unprocessable(
                    f"the article on the page is longer than {MAX_TEXT_CHARS} characters",
                    "html",
                ) from exc
            derived = [name for name in messages if name in _PAGE_FIELDS
                       and given.get(name) is None and name in data]
            if not derived:
                raise
            for name in derived:
                data.pop(name)
                data[PAGE_KEY]["sources"].pop(name, None)
    raise Unprocessable("the page's own fields could not be read", "html")


def load_input(
    data: Any, *, trusted: bool = False, max_page_bytes: int = MAX_PAGE_BYTES,
    keep_html: bool = False,
) -> ArticleInput:
    """Validate a decoded JSON value as an article; ``ma.ValidationError`` when it is not one.

    ``html`` is extracted here (``Unprocessable`` when it holds no article). ``trusted``
    accepts the ``page`` provenance too: only for records this process made from a page.
    """
    if not isinstance(data, dict):
        raise ma.ValidationError({"_record": ["must be a JSON object"]})
    fields = (_trusted if trusted else _schema).load(data)
    html = fields.pop("html", None)
    if html is not None:
        return from_page(fields, html, max_bytes=max_page_bytes, keep_html=keep_html)
    return to_input(fields)


@dataclass(frozen=True)
class Outcome:
    """What happened to one record: its status, its id when stored, and why not otherwise."""

    status: Status
    id: str | None = None
    errors: dict[str, Any] | None = None


def ingest_record(indexer: Indexer, data: Any, *, trusted: bool = False) -> Outcome:
    """Validate ``data`` (a decoded JSON value) and ingest it, reporting instead of raising.

    ``trusted``: ``data`` was made by this process from a page (it may carry ``page``).
    """
    item = validate_record(data, trusted=trusted)
    if isinstance(item, Outcome):
        return item
    return ingest_item(indexer, item)


def validate_record(data: Any, *, trusted: bool = False) -> ArticleInput | Outcome:
    """The article ``data`` describes, or the rejection saying why it is not one."""
    try:
        return load_input(data, trusted=trusted)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_record": exc.messages}
        return Outcome("rejected", errors=messages)
    except Unprocessable as exc:
        return Outcome("rejected", errors={exc.field: [str(exc)]})


def ingest_item(
    indexer: Indexer, item: ArticleInput, extraction: Extraction | None = None
) -> Outcome:
    """Ingest a validated article (its extraction given when done elsewhere), as an outcome."""
    try:
        return outcome_of(indexer.ingest(item, extraction))
    except IndexerError as exc:
        return outcome_of(exc)


def ingest_items(
    indexer: Indexer, items: Sequence[tuple[ArticleInput, Extraction | None]]
) -> list[Outcome]:
    """:func:`ingest_item` for many articles at once (:meth:`Indexer.ingest_batch`)."""
    return [outcome_of(result) for result in indexer.ingest_batch(items)]


def outcome_of(result: IngestResult | IndexerError) -> Outcome:
    """What ingesting gave, as a record's outcome; an error no client caused is raised."""
    if isinstance(result, IngestResult):
        return Outcome("created" if result.created else "unchanged", id=result.article.id)
    if isinstance(result, Unprocessable):
        return Outcome("rejected", errors={result.field: [str(result)]})
    if isinstance(result, Conflict):
        return Outcome("conflict", errors={"id": [str(result)]})
    if isinstance(result, StoreUnavailable):
        log.warning("store unavailable while ingesting: %s", result)
        return Outcome("unavailable", errors={"_store": [result.public_message()]})
    raise result

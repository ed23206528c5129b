"""What a client may submit as an article, and one record's outcome whichever door it came in by.

The API's POST and bulk endpoints and ``storyrecords index`` all validate with
:class:`ArticleInSchema` and ingest through :func:`ingest_record`, so the same input gets the
same answer everywhere. Every field is validated as a whole string and stored in one
normalised form: a value that could be read two ways is refused, not guessed at.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

import langcodes
import marshmallow as ma
from marshmallow import validate

from indexer.errors import Conflict, StoreUnavailable, Unprocessable
from indexer.ids import ID_PATTERN, is_valid_id
from indexer.ingest import Indexer
from indexer.models import ArticleInput
from indexer.timefmt import normalise_published

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
    """An article to index. Only ``text`` is required; the id is derived from content if absent."""

    class Meta:
        unknown = ma.RAISE

    text = Text(
        required=True,
        visible=True,
        validate=validate.Length(min=1, max=MAX_TEXT_CHARS),
        metadata={
            "description": "The article body as plain text; leading blank lines are fine. "
            "Boilerplate is removed, and every offset in the stored record points into the "
            "cleaned text it is stored with."
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


_schema = ArticleInSchema()


def to_input(data: dict[str, Any]) -> ArticleInput:
    """Validated fields -> the indexer's input record."""
    return ArticleInput(**data)


def load_input(data: Any) -> ArticleInput:
    """Validate a decoded JSON value as an article; ``ma.ValidationError`` when it is not one."""
    if not isinstance(data, dict):
        raise ma.ValidationError({"_record": ["must be a JSON object"]})
    return to_input(_schema.load(data))


@dataclass(frozen=True)
class Outcome:
    """What happened to one record: its status, its id when stored, and why not otherwise."""

    status: Status
    id: str | None = None
    errors: dict[str, Any] | None = None


def ingest_record(indexer: Indexer, data: Any) -> Outcome:
    """Validate ``data`` (a decoded JSON value) and ingest it, reporting instead of raising."""
    try:
        item = load_input(data)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_record": exc.messages}
        return Outcome("rejected", errors=messages)
    try:
        result = indexer.ingest(item)
    except Unprocessable as exc:
        return Outcome("rejected", errors={exc.field: [str(exc)]})
    except Conflict as exc:
        return Outcome("conflict", errors={"id": [str(exc)]})
    except StoreUnavailable as exc:
        log.warning("store unavailable while ingesting: %s", exc)
        return Outcome("unavailable", errors={"_store": [exc.public_message()]})
    return Outcome("created" if result.created else "unchanged", id=result.article.id)

"""Validate and ingest one raw article, reporting what happened instead of raising.

Shared by the bulk endpoint and ``storyrecords index``: one record's outcome is the same
whichever door it came in by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import marshmallow as ma

from storyrecords.api.articles.schemas import ArticleInSchema
from storyrecords.indexer.errors import Conflict, StoreUnavailable
from storyrecords.indexer.ingest import Indexer
from storyrecords.indexer.models import ArticleInput

Status = Literal["created", "unchanged", "rejected", "conflict", "unavailable"]
_schema = ArticleInSchema()


@dataclass(frozen=True)
class Outcome:
    """What happened to one record: its status, its id when stored, and why not otherwise."""

    status: Status
    id: str | None = None
    errors: dict[str, Any] | None = None


def to_input(data: dict[str, Any]) -> ArticleInput:
    """Validated request fields -> the indexer's input record."""
    return ArticleInput(**data)


def ingest_record(indexer: Indexer, data: Any) -> Outcome:
    """Validate ``data`` (a decoded JSON value) with the API's schema and ingest it."""
    if not isinstance(data, dict):
        return Outcome("rejected", errors={"_record": ["must be a JSON object"]})
    try:
        item = to_input(_schema.load(data))
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_record": exc.messages}
        return Outcome("rejected", errors=messages)
    try:
        result = indexer.ingest(item)
    except Conflict as exc:
        return Outcome("conflict", errors={"id": [str(exc)]})
    except StoreUnavailable as exc:
        return Outcome("unavailable", errors={"_store": [str(exc)]})
    return Outcome("created" if result.created else "unchanged", id=result.article.id)

"""What a search hit carries: the ``fields`` parameter, its lean default, and the one projection.

Hits leave out the heavy parts of a record (an article's full ``text``, the mentions and
spans inside its lists) unless a client names them. :func:`project` is the only place a hit
is cut down, so the store can take the projection over later without the API changing.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from typing import Any

import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

#: The field every hit carries whatever ``fields`` says.
ALWAYS = "id"

#: What an article hit carries by default: enough to list, link and group it.
ARTICLE_DEFAULT: tuple[str, ...] = (
    "id", "title", "url", "source", "published_at", "language", "indexed_at", "event_id",
)
#: What an event hit carries by default: what it is, when and where, and who reported it.
EVENT_DEFAULT: tuple[str, ...] = (
    "id", "title", "type", "date", "date_agreement", "venue", "articles", "sources",
    "first_seen", "last_updated", "story_id",
)
#: What a story hit carries by default: its timeline and where it stands.
STORY_DEFAULT: tuple[str, ...] = (
    "id", "title", "events", "announced", "sources", "first_seen", "last_updated",
)


def project(record: dict[str, Any], fields: Collection[str]) -> dict[str, Any]:
    """``record`` with only the top-level ``fields`` (and ``id``)."""
    return {name: value for name, value in record.items() if name in fields or name == ALWAYS}


class FieldList(DelimitedList):
    """Names given comma-separated (``fields=id,title``, as documented) or repeated
    (``fields=id&fields=title``, as some generated clients send an array); both are read."""

    is_multiple = True  # webargs: collect a repeated parameter's values

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list | tuple):
            value = ",".join(str(item) for item in value)
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-untyped-call]


def fields_param(names: Sequence[str], default: Sequence[str], what: str) -> FieldList:
    """The ``fields`` query parameter over ``names``: comma-separated, unknown names a 422."""
    listed = ", ".join(f"`{n}`" for n in names)
    return FieldList(
        ma.fields.String(
            validate=validate.OneOf(names, error="Unknown field {input}; choose from {choices}.")
        ),
        load_default=tuple(default),
        validate=validate.Length(min=1, max=len(names)),
        metadata={
            "description": f"Comma-separated top-level fields each {what} hit carries; `id` is "
            f"always there. Default (the lean set): `{','.join(default)}`. Any of {listed}. "
            "An unknown name is a 422.",
            "default": list(default),
            "example": list(default[:3]),
        },
    )


def hit_schema(schema: type[ma.Schema], name: str, default: Sequence[str]) -> type[ma.Schema]:
    """``schema`` as a search hit: the same fields, none required but ``id`` (what a hit
    carries depends on ``fields``)."""
    fields: dict[str, ma.fields.Field[Any]] = {}
    for field_name, field in schema._declared_fields.items():
        partial = copy.copy(field)
        partial.required = field_name == ALWAYS
        fields[field_name] = partial
    hit = ma.Schema.from_dict(fields, name=name)
    hit.__doc__ = (
        f"{(schema.__doc__ or '').strip().rstrip('.')}, as a search hit: only the fields chosen "
        f"with `fields` (by default `{','.join(default)}`); `id` always."
    )
    return hit


def field_names(schema: type[ma.Schema]) -> tuple[str, ...]:
    """The top-level fields of a record schema, in its order."""
    return tuple(schema._declared_fields)

"""Search parameters and results every faceted resource shares, and their query model mapping."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from marshmallow import validate

from api.cursors import sign, verify
from api.fields import project
from api.services import services
from indexer.store.query import (
    FACETS,
    MAX_FACET_SIZE,
    MAX_PAGE_SIZE,
    SORTS,
    SearchQuery,
    decode_cursor,
)
from indexer.timefmt import parse_day

#: Limits that keep every search inside the HTTP server's request line (api.limits): even with
#: every character percent-encoded (3 bytes per UTF-8 byte), q, all filter values, the cursor
#: and the rest come to under 7,400 of its 8,190 bytes.
MAX_Q_BYTES = 500
MAX_FACET_VALUE_BYTES = 100
MAX_VALUES_PER_FACET = 10
MAX_FILTER_VALUES = 16
MAX_CURSOR_CHARS = 512


class Utf8Length(validate.Length):
    """``Length`` counted in UTF-8 bytes, the unit the request line is limited in.

    Documented as ``maxLength`` (characters), which a byte limit also bounds.
    """

    def _format_error(self, value: Any, message: str) -> str:
        return f"Longer than {self.max} bytes of UTF-8."

    def __call__(self, value: Any) -> Any:
        if self.max is not None and len(value.encode("utf-8", "surrogatepass")) > self.max:
            raise ma.ValidationError(self._format_error(value, ""))
        return super().__call__(value)


def _iso_date(value: str) -> None:
    try:
        parse_day(value)
    except ValueError as exc:
        raise ma.ValidationError(str(exc)) from exc


class FacetBucketSchema(ma.Schema):
    """One facet value and its count under the other facets' filters."""

    value = ma.fields.String(required=True, metadata={"example": "country:US"})
    label = ma.fields.String(required=True, metadata={"example": "United States"})
    count = ma.fields.Integer(required=True, metadata={"example": 2})


def buckets() -> ma.fields.List[Any]:
    """A facet's buckets in a search response."""
    return ma.fields.List(ma.fields.Nested(FacetBucketSchema), required=True)


def facet_filter(name: str) -> ma.fields.List[Any]:
    """A repeatable facet filter parameter."""
    return ma.fields.List(
        ma.fields.String(validate=Utf8Length(min=1, max=MAX_FACET_VALUE_BYTES)),
        validate=validate.Length(max=MAX_VALUES_PER_FACET),
        metadata={
            "description": f"Only records with this `{name}` facet value; repeat for OR. Each "
            f"value is at most {MAX_FACET_VALUE_BYTES} bytes of UTF-8; at most "
            f"{MAX_VALUES_PER_FACET} values per facet and {MAX_FILTER_VALUES} over all facets.",
            "explode": True,
            "style": "form",
        },
    )


def next_cursor_field() -> ma.fields.String:
    """The cursor of the next page in a search response."""
    return ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last page."},
    )


class SearchArgsSchema(ma.Schema):
    """Parameters every faceted search shares; resources add their facet filters."""

    class Meta:
        unknown = ma.RAISE

    q = ma.fields.String(
        validate=Utf8Length(max=MAX_Q_BYTES),
        metadata={
            "description": 'Words (all must match) and "quoted phrases"; other characters are '
            f"plain text, never query syntax. At most {MAX_Q_BYTES} bytes of UTF-8."
        },
    )
    date_from = ma.fields.String(validate=_iso_date, metadata={"example": "2022-01-01"})
    date_to = ma.fields.String(validate=_iso_date, metadata={"example": "2022-01-31"})
    sort = ma.fields.String(
        validate=validate.OneOf(SORTS),
        metadata={"description": "Default: `relevance` when `q` is given, else `newest`."},
    )
    size = ma.fields.Integer(
        load_default=10,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Hits per page, at most {MAX_PAGE_SIZE}."},
    )
    facet_size = ma.fields.Integer(
        load_default=10,
        validate=validate.Range(min=1, max=MAX_FACET_SIZE),
        metadata={"description": "Buckets per facet."},
    )
    cursor = ma.fields.String(
        validate=validate.Length(min=1, max=MAX_CURSOR_CHARS),
        metadata={
            "description": "The `next_cursor` of the previous page, as it came (it is signed; "
            "an edited or made-up cursor is a 422)."
        },
    )

    @ma.validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        lo, hi = data.get("date_from"), data.get("date_to")
        if lo and hi and lo > hi:
            raise ma.ValidationError("date_from is after date_to", "date_from")

    @ma.validates_schema
    def _filter_values(self, data: dict[str, Any], **_: Any) -> None:
        given = sum(len(v) for k, v in data.items() if isinstance(v, list) and k != "fields")
        if given > MAX_FILTER_VALUES:
            raise ma.ValidationError(
                f"at most {MAX_FILTER_VALUES} facet filter values in all, got {given}", "_schema"
            )


def search_query(
    args: dict[str, Any], facets: tuple[str, ...] = FACETS, event_id: str | None = None
) -> SearchQuery:
    """Build a SearchQuery from validated query args; a bad cursor raises InvalidQuery.

    The signature is checked before the store ever decodes the cursor.
    """
    cursor = args.get("cursor")
    if cursor:
        cursor = verify(services().cursor_key(), cursor)
    return SearchQuery(
        q=args.get("q"),
        filters={f: tuple(args.get(f) or ()) for f in facets if args.get(f)},
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
        sort=args.get("sort"),
        size=args.get("size", 10),
        facet_size=args.get("facet_size", 10),
        cursor=decode_cursor(cursor) if cursor else None,
        facets=facets,
        event_id=event_id,
        duplicates=args.get("duplicates", "include"),
        # Hits are read with only the fields they carry (never decoded whole).
        fields=tuple(args["fields"]) if args.get("fields") else None,
    )


def facets_schema(name: str, facets: tuple[str, ...], doc: str) -> type[ma.Schema]:
    """The ``facets`` object of a search response: one bucket list per facet, in order."""
    schema = ma.Schema.from_dict({facet: buckets() for facet in facets}, name=name)
    schema.__doc__ = doc
    return schema


def search_args_schema(
    name: str, facets: tuple[str, ...], doc: str, extra: dict[str, Any] | None = None
) -> type[SearchArgsSchema]:
    """A resource's search parameters: the shared ones, a filter per facet, and ``extra``."""
    fields: dict[str, Any] = {facet: facet_filter(facet) for facet in facets}
    schema = type(name, (SearchArgsSchema,), {**fields, **(extra or {}), "__doc__": doc})
    return schema


def page_body(
    page: Any, serialize: Callable[[Any], dict[str, Any]], fields: Collection[str]
) -> dict[str, Any]:
    """A SearchPage as the JSON every search endpoint returns, each hit cut to ``fields``."""
    return {
        "total": page.total,
        "hits": [project(serialize(hit), fields) for hit in page.hits],
        "facets": {name: [vars(b) for b in found] for name, found in page.facets.items()},
        "next_cursor": sign(services().cursor_key(), page.next_cursor) if page.next_cursor
        else None,
    }


def page_response(
    page: Any, serialize: Callable[[Any], dict[str, Any]], fields: Collection[str]
) -> Response:
    """:func:`page_body`, sent as it is built.

    A view's response schema documents this body, but flask-smorest would also dump it
    through that schema again: for ten hits and seven facets that was a fifth of the API's
    own time per search, to produce the same JSON (the records' JSON is already what the
    schema gives; ``tests/api/test_payloads.py`` holds every search endpoint to that).
    """
    return jsonify(page_body(page, serialize, fields))


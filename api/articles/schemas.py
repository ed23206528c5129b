"""Marshmallow schemas of the article resource: what clients send, what they get back."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate
from werkzeug.routing import BaseConverter

from api.search_args import facets_schema, next_cursor_field, search_args_schema
from indexer.ids import ID_PATTERN, ID_REGEX
from indexer.intake import ArticleInSchema
from indexer.store.query import FACETS

__all__ = ["ArticleInSchema"]


class ArticleIdConverter(BaseConverter):
    """URL segment holding an article id; ``bulk`` is a sibling route, never an id."""

    regex = ID_REGEX


def article_id_param(_: ArticleIdConverter) -> dict[str, Any]:
    """How the converter is documented in openapi.yaml."""
    return {"type": "string", "pattern": ID_PATTERN}


class MentionSchema(ma.Schema):
    """A span of the cleaned text."""

    start = ma.fields.Integer(required=True)
    end = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)


class PartySchema(ma.Schema):
    """An actor under its canonical id, with every mention."""

    id = ma.fields.String(required=True, metadata={"example": "country:US"})
    name = ma.fields.String(required=True, metadata={"example": "United States"})
    kind = ma.fields.String(
        required=True, validate=validate.OneOf(["country", "organization", "person", "group"])
    )
    roles = ma.fields.List(ma.fields.String(), required=True)
    affiliation = ma.fields.String(allow_none=True, required=True)
    mentions = ma.fields.List(ma.fields.Nested(MentionSchema), required=True)


class PlaceSchema(ma.Schema):
    """A location named in the article."""

    id = ma.fields.String(required=True, metadata={"example": "place:berlin-de"})
    name = ma.fields.String(required=True)
    country = ma.fields.String(allow_none=True, required=True)
    lat = ma.fields.Float(allow_none=True, required=True)
    lon = ma.fields.Float(allow_none=True, required=True)
    mentions = ma.fields.List(ma.fields.Nested(MentionSchema), required=True)


class VenueSchema(PlaceSchema):
    """A place where something happens, with what and when."""

    what = ma.fields.String(allow_none=True, required=True, metadata={"example": "talks"})
    date = ma.fields.String(allow_none=True, required=True, metadata={"example": "2022-01-10"})


class DateRefSchema(ma.Schema):
    """A temporal expression, resolved against the publication date when possible."""

    text = ma.fields.String(required=True, metadata={"example": "yesterday"})
    start = ma.fields.Integer(required=True)
    end = ma.fields.Integer(required=True)
    value = ma.fields.String(allow_none=True, required=True, metadata={"example": "2022-01-10"})
    granularity = ma.fields.String(required=True, metadata={"example": "day"})
    resolved = ma.fields.Boolean(required=True)
    dates = ma.fields.String(allow_none=True, required=True)


class PartyRefSchema(ma.Schema):
    """A party named by a demand: enough to show it without looking it up."""

    id = ma.fields.String(required=True, metadata={"example": "country:RU"})
    name = ma.fields.String(required=True, metadata={"example": "Russia"})
    kind = ma.fields.String(required=True, metadata={"example": "country"})


class DemandSchema(ma.Schema):
    """Who demands what of whom."""

    claimant = ma.fields.Nested(PartyRefSchema, required=True)
    addressee = ma.fields.Nested(PartyRefSchema, allow_none=True, required=True)
    action = ma.fields.String(required=True)
    cue = ma.fields.String(required=True)
    stance = ma.fields.String(required=True)
    negated = ma.fields.Boolean(required=True)
    sentence = ma.fields.Nested(MentionSchema, required=True)


class FactSchema(ma.Schema):
    """A detail sources may state differently (e.g. a duration), with its span."""

    kind = ma.fields.String(required=True, metadata={"example": "duration"})
    about = ma.fields.String(required=True, metadata={"example": "talks"})
    value = ma.fields.String(required=True, metadata={"example": "nearly eight-hour"})
    mention = ma.fields.Nested(MentionSchema, required=True)


class ArticleSchema(ma.Schema):
    """A stored article with its extracted metadata."""

    id = ma.fields.String(required=True)
    title = ma.fields.String(allow_none=True, required=True)
    url = ma.fields.String(allow_none=True, required=True)
    source = ma.fields.String(allow_none=True, required=True)
    published_at = ma.fields.String(allow_none=True, required=True)
    language = ma.fields.String(allow_none=True, required=True)
    text = ma.fields.String(
        required=True, metadata={"description": "Cleaned text; every offset points into it."}
    )
    content_hash = ma.fields.String(required=True)
    extractor_version = ma.fields.String(required=True)
    indexed_at = ma.fields.String(required=True)
    event_id = ma.fields.String(allow_none=True, required=True)
    parties = ma.fields.List(ma.fields.Nested(PartySchema), required=True)
    venues = ma.fields.List(ma.fields.Nested(VenueSchema), required=True)
    places = ma.fields.List(ma.fields.Nested(PlaceSchema), required=True)
    dates = ma.fields.List(ma.fields.Nested(DateRefSchema), required=True)
    demands = ma.fields.List(ma.fields.Nested(DemandSchema), required=True)
    facts = ma.fields.List(ma.fields.Nested(FactSchema), required=True)


FacetsSchema = facets_schema("FacetsSchema", FACETS, "Counts for every facet field.")


class ArticleSearchResultSchema(ma.Schema):
    """A page of search hits with the total, facet counts and the next cursor."""

    total = ma.fields.Integer(required=True)
    hits = ma.fields.List(ma.fields.Nested(ArticleSchema), required=True)
    facets = ma.fields.Nested(FacetsSchema, required=True)
    next_cursor = next_cursor_field()


ArticleSearchArgsSchema = search_args_schema(
    "ArticleSearchArgsSchema",
    FACETS,
    "Query parameters of article search. Unknown parameters are rejected, not ignored.",
)


class BulkLineResultSchema(ma.Schema):
    """What happened to one NDJSON line."""

    line = ma.fields.Integer(required=True)
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf(
            ["created", "unchanged", "rejected", "conflict", "unavailable", "error"]
        ),
        metadata={"description": "`error`: the server failed on this line (logged); the rest "
                  "went on. Only `created` and `unchanged` lines are stored."},
    )
    id = ma.fields.String(allow_none=True, required=True)
    errors = ma.fields.Dict(
        allow_none=True, required=True, metadata={"description": "Why the line was rejected."}
    )


class BulkResultSchema(ma.Schema):
    """Per-line outcome of a bulk ingest, plus counts."""

    created = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True)
    rejected = ma.fields.Integer(
        required=True, metadata={"description": "Lines not stored, for whatever reason."}
    )
    results = ma.fields.List(ma.fields.Nested(BulkLineResultSchema), required=True)

"""Marshmallow schemas of merged events: every value carries the articles that state it."""

from __future__ import annotations

import marshmallow as ma

from api.articles.schemas import PartyRefSchema
from api.fields import EVENT_DEFAULT, field_names, fields_param, hit_schema
from api.search_args import facets_schema, next_cursor_field, search_args_schema
from indexer.store.query import EVENT_FACETS


class SourceSpanSchema(ma.Schema):
    """Where a merged fact comes from: an article and a span of its cleaned text."""

    article_id = ma.fields.String(required=True)
    start = ma.fields.Integer(required=True)
    end = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)


class AttestedSchema(ma.Schema):
    """A value and the articles (and spans) that state it."""

    value = ma.fields.String(required=True, metadata={"example": "2022-01-10"})
    articles = ma.fields.List(ma.fields.String(), required=True)
    spans = ma.fields.List(ma.fields.Nested(SourceSpanSchema), required=True)


class EventPartySchema(ma.Schema):
    """A party of the event and how many of its articles name it."""

    id = ma.fields.String(required=True, metadata={"example": "person:wendy-sherman"})
    name = ma.fields.String(required=True, metadata={"example": "Wendy Sherman"})
    kind = ma.fields.String(required=True)
    article_count = ma.fields.Integer(required=True)
    articles = ma.fields.List(ma.fields.String(), required=True)
    roles = ma.fields.List(ma.fields.Nested(AttestedSchema), required=True)
    affiliation = ma.fields.String(allow_none=True, required=True)


class EventVenueSchema(ma.Schema):
    """Where the event happened, with the share of articles that agree."""

    id = ma.fields.String(required=True, metadata={"example": "place:geneva-ch"})
    name = ma.fields.String(required=True)
    country = ma.fields.String(allow_none=True, required=True)
    lat = ma.fields.Float(allow_none=True, required=True)
    lon = ma.fields.Float(allow_none=True, required=True)
    articles = ma.fields.List(ma.fields.String(), required=True)
    agreement = ma.fields.Float(required=True, metadata={"example": 1.0})


class EventDemandSchema(ma.Schema):
    """A demand deduplicated across articles: one per claimant, stance and action."""

    claimant = ma.fields.Nested(PartyRefSchema, required=True)
    addressee = ma.fields.Nested(PartyRefSchema, allow_none=True, required=True)
    action = ma.fields.String(required=True)
    stance = ma.fields.String(required=True)
    cue = ma.fields.String(required=True)
    negated = ma.fields.Boolean(required=True)
    articles = ma.fields.List(ma.fields.String(), required=True)
    spans = ma.fields.List(ma.fields.Nested(SourceSpanSchema), required=True)


class HappeningSchema(ma.Schema):
    """A related dated happening named in the articles (e.g. a follow-up meeting)."""

    venue_id = ma.fields.String(required=True)
    venue = ma.fields.String(required=True, metadata={"example": "Brussels"})
    what = ma.fields.String(allow_none=True, required=True)
    date = ma.fields.String(allow_none=True, required=True)
    articles = ma.fields.List(ma.fields.String(), required=True)
    spans = ma.fields.List(ma.fields.Nested(SourceSpanSchema), required=True)


class FactConflictSchema(ma.Schema):
    """A fact the sources disagree on, with every value and who states it."""

    field = ma.fields.String(required=True, metadata={"example": "duration:talks"})
    about = ma.fields.String(required=True, metadata={"example": "length of the talks"})
    values = ma.fields.List(ma.fields.Nested(AttestedSchema), required=True)


class EventSchema(ma.Schema):
    """The merged record of every article about one real-world happening."""

    id = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    type = ma.fields.String(allow_none=True, required=True, metadata={"example": "talks"})
    date = ma.fields.Nested(AttestedSchema, allow_none=True, required=True)
    date_agreement = ma.fields.Float(required=True)
    venue = ma.fields.Nested(EventVenueSchema, allow_none=True, required=True)
    parties = ma.fields.List(ma.fields.Nested(EventPartySchema), required=True)
    demands = ma.fields.List(ma.fields.Nested(EventDemandSchema), required=True)
    related = ma.fields.List(ma.fields.Nested(HappeningSchema), required=True)
    conflicts = ma.fields.List(ma.fields.Nested(FactConflictSchema), required=True)
    articles = ma.fields.List(ma.fields.String(), required=True)
    sources = ma.fields.List(ma.fields.String(), required=True)
    first_seen = ma.fields.String(required=True)
    last_updated = ma.fields.String(required=True)
    merged_from = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Ids of events folded into this one; they redirect here."},
    )
    story_id = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "The story (thread of events) this happening belongs to."},
    )
    previous = ma.fields.String(
        allow_none=True,
        metadata={"description": "The event before this one in its story (single reads)."},
    )
    next = ma.fields.String(
        allow_none=True,
        metadata={"description": "The event after this one in its story (single reads)."},
    )
    split_from = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "The event this one was split off, when evidence showed "
                  "that event held two happenings."},
    )
    split_into = ma.fields.List(
        ma.fields.String(), required=True,
        metadata={"description": "Events split off this one (the largest part kept the id)."},
    )


EventFacetsSchema = facets_schema(
    "EventFacetsSchema", EVENT_FACETS, "Counts for every event facet."
)


EventHitSchema = hit_schema(EventSchema, "EventHitSchema", EVENT_DEFAULT)


class EventSearchResultSchema(ma.Schema):
    """A page of events with the total, facet counts and the next cursor."""

    total = ma.fields.Integer(required=True)
    hits = ma.fields.List(ma.fields.Nested(EventHitSchema), required=True)
    facets = ma.fields.Nested(EventFacetsSchema, required=True)
    next_cursor = next_cursor_field()


EventSearchArgsSchema = search_args_schema(
    "EventSearchArgsSchema",
    EVENT_FACETS,
    "Query parameters of event search; dates filter on the event's own date.",
    extra={"fields": fields_param(field_names(EventSchema), EVENT_DEFAULT, "event")},
)

"""Marshmallow schemas of stories: a timeline of events, and what they announce."""

from __future__ import annotations

import marshmallow as ma

from api.fields import STORY_DEFAULT, field_names, fields_param, hit_schema
from api.search_args import facets_schema, next_cursor_field, search_args_schema
from indexer.store.query import STORY_FACETS


class StoryEventSchema(ma.Schema):
    """One entry of a story's timeline: an event, when and where it happened."""

    event_id = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    date = ma.fields.String(allow_none=True, required=True, metadata={"example": "2022-01-10"})
    venue_id = ma.fields.String(allow_none=True, required=True)
    venue = ma.fields.String(allow_none=True, required=True, metadata={"example": "Geneva"})
    type = ma.fields.String(allow_none=True, required=True, metadata={"example": "talks"})
    article_count = ma.fields.Integer(required=True)
    first_seen = ma.fields.String(required=True)


class AnnouncedSchema(ma.Schema):
    """A happening the story's events announce that no event of it reports yet."""

    venue_id = ma.fields.String(required=True, metadata={"example": "place:brussels-be"})
    venue = ma.fields.String(required=True, metadata={"example": "Brussels"})
    what = ma.fields.String(allow_none=True, required=True)
    date = ma.fields.String(allow_none=True, required=True, metadata={"example": "2022-01-12"})


class StoryPartySchema(ma.Schema):
    """A party of the story and in how many of its events it takes part."""

    id = ma.fields.String(required=True, metadata={"example": "country:RU"})
    name = ma.fields.String(required=True, metadata={"example": "Russia"})
    kind = ma.fields.String(required=True)
    event_count = ma.fields.Integer(required=True)


class StorySchema(ma.Schema):
    """A thread of events (the Geneva talks, then Brussels, then Vienna), in time order."""

    id = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    events = ma.fields.List(
        ma.fields.Nested(StoryEventSchema), required=True,
        metadata={"description": "The timeline: by the day each happening took place."},
    )
    announced = ma.fields.List(ma.fields.Nested(AnnouncedSchema), required=True)
    parties = ma.fields.List(ma.fields.Nested(StoryPartySchema), required=True)
    sources = ma.fields.List(ma.fields.String(), required=True)
    first_seen = ma.fields.String(required=True)
    last_updated = ma.fields.String(required=True)


StoryFacetsSchema = facets_schema(
    "StoryFacetsSchema", STORY_FACETS, "Counts for every story facet."
)
StoryHitSchema = hit_schema(StorySchema, "StoryHitSchema", STORY_DEFAULT)


class StorySearchResultSchema(ma.Schema):
    """A page of stories with the total, facet counts and the next cursor."""

    total = ma.fields.Integer(required=True)
    hits = ma.fields.List(ma.fields.Nested(StoryHitSchema), required=True)
    facets = ma.fields.Nested(StoryFacetsSchema, required=True)
    next_cursor = next_cursor_field()


StorySearchArgsSchema = search_args_schema(
    "StorySearchArgsSchema",
    STORY_FACETS,
    "Query parameters of story search; dates filter on the story's latest event.",
    extra={"fields": fields_param(field_names(StorySchema), STORY_DEFAULT, "story")},
)

"""Marshmallow schemas of the article resource: what clients send, what they get back."""

from __future__ import annotations

import copy
from typing import Any

import marshmallow as ma
from marshmallow import validate
from werkzeug.routing import BaseConverter

from api.fields import ARTICLE_DEFAULT, field_names, fields_param, hit_schema
from api.search_args import facets_schema, next_cursor_field, search_args_schema
from indexer.ids import ID_PATTERN, ID_REGEX
from indexer.intake import ArticleInSchema
from indexer.models import ENGLISH_ONLY_STEPS
from indexer.store.query import DUPLICATES, FACETS

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


PROVENANCE = ("json-ld", "meta", "url", "text", "feed", "client")


class PageSchema(ma.Schema):
    """The web page an article was read from, and where each of the article's fields came from.

    Derived by the server from the page alone; no client can set it.
    """

    url = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "The address the page was read from (as given with it)."},
    )
    canonical_url = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "The page's own canonical address (`<link rel=canonical>`, "
                  "`og:url`), relative links resolved."},
    )
    sha256 = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "SHA-256 (hex) of the raw HTML bytes, after decompression; "
                  "null for a feed item that carried its own text."},
    )
    bytes = ma.fields.Integer(
        allow_none=True, required=True, metadata={"description": "Size of the raw HTML."}
    )
    authors = ma.fields.List(ma.fields.String(), required=True)
    site_name = ma.fields.String(allow_none=True, required=True)
    extractor = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "Version of the page-extraction rules."},
    )
    sources = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(validate=validate.OneOf(PROVENANCE)),
        required=True,
        metadata={
            "description": "Where each field came from, by field (`title`, `authors`, "
            "`published_at`, `canonical_url`, `site_name`, `language`, `source`, `url`): "
            "`json-ld`, `meta` (`<meta>`, `<link>`, `<title>`, `lang`), `url`, `text` (found in "
            "or detected from the text), `feed` (the feed entry) or `client` (sent with it).",
            "example": {"title": "json-ld", "published_at": "meta", "language": "meta",
                        "source": "meta", "url": "client"},
        },
    )
    feed = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "The feed the page was found in (`storyrecords follow`)."},
    )
    etag = ma.fields.String(allow_none=True, required=True)
    last_modified = ma.fields.String(allow_none=True, required=True)
    html = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "The page itself, only when the server keeps pages "
                  "(`STORYRECORDS_STORE_HTML=true`); null by default."},
    )


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
    language_source = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "Where `language` came from: `client`; a page's `json-ld` or "
                  "`meta`; `feed`; `text` (detected from the text: only when it is long enough "
                  "to tell, or in a non-Latin script); `default` (nobody said and the text was "
                  "too short to tell: English assumed). Null for records stored before this "
                  "was kept.", "example": "meta"},
    )
    skipped_steps = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(ENGLISH_ONLY_STEPS)),
        required=True,
        metadata={"description": "Extraction steps that did not run because they only know "
                  "English: for an article in another language, all of "
                  f"{', '.join(f'`{s}`' for s in ENGLISH_ONLY_STEPS)} (their lists stay "
                  "empty; the text is cleaned, stored and searchable). Empty for English.",
                  "example": []},
    )
    page = ma.fields.Nested(
        PageSchema, allow_none=True, required=True,
        metadata={"description": "For an article read from a web page (`html`, `storyrecords "
                  "index` of pages, archives and feeds, `storyrecords follow`): the page's "
                  "address and hash and where each field came from; null for text."},
    )
    duplicate_of = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "The id of the earliest stored article this one is a "
                  "syndicated copy of (the same story trimmed, re-headlined or wrapped in "
                  "another site's boilerplate), else null. Copies count once in events: they "
                  "are listed among an event's articles but add no source, party count or "
                  "agreement; `duplicates=exclude` leaves them out of article search."},
    )


FacetsSchema = facets_schema("FacetsSchema", FACETS, "Counts for every facet field.")
ArticleHitSchema = hit_schema(ArticleSchema, "ArticleHitSchema", ARTICLE_DEFAULT)


class ArticleSearchResultSchema(ma.Schema):
    """A page of search hits with the total, facet counts and the next cursor."""

    total = ma.fields.Integer(required=True)
    hits = ma.fields.List(ma.fields.Nested(ArticleHitSchema), required=True)
    facets = ma.fields.Nested(FacetsSchema, required=True)
    next_cursor = next_cursor_field()


ArticleSearchArgsSchema = search_args_schema(
    "ArticleSearchArgsSchema",
    FACETS,
    "Query parameters of article search. Unknown parameters are rejected, not ignored.",
    extra={
        "duplicates": ma.fields.String(
            load_default="include",
            validate=validate.OneOf(DUPLICATES),
            metadata={"description": "`include` syndicated copies (articles with a "
                      "`duplicate_of`; they are counted in facets too), or `exclude` them: "
                      "each story once, under its earliest stored article."},
        ),
        "fields": fields_param(field_names(ArticleSchema), ARTICLE_DEFAULT, "article"),
    },
)


def _page_args() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, field in ArticleInSchema._declared_fields.items():
        if name in ("text", "html"):
            continue
        fields[name] = copy.deepcopy(field)
        said = fields[name].metadata.get("description")
        fields[name].metadata["description"] = (
            "With a `text/html` body only (a JSON body carries its own fields)."
            + (f" {said}" if said else "")
        )
    return fields


ArticlePageArgsSchema = ma.Schema.from_dict(_page_args(), name="ArticlePageArgsSchema")
ArticlePageArgsSchema.__doc__ = (
    "Fields of a `text/html` body, as query parameters (a JSON body carries them itself)."
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

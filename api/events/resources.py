"""Event endpoints: faceted search over merged events, one event, and its articles."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from api.articles.schemas import ArticleSearchArgsSchema, ArticleSearchResultSchema
from api.blueprint import Blueprint
from api.compression import ETAG_HEADER, IF_NONE_MATCH, NOT_MODIFIED_DESCRIPTION, etag_of
from api.events.schemas import (
    EventSchema,
    EventSearchArgsSchema,
    EventSearchResultSchema,
)
from api.search_args import page_response, search_query
from api.services import services
from indexer.errors import Moved, NotFound
from indexer.models import Story
from indexer.records import article_json, event_json, neighbours
from indexer.store.base import Store
from indexer.store.query import EVENT_FACETS, FACETS

blp = Blueprint(
    "events",
    __name__,
    url_prefix="/v1/events",
    description="Merged per-event records: all articles about one happening, with conflicts.",
)


@blp.route("")
class Events(MethodView):
    """The event collection."""

    @blp.requires("read")
    @blp.doc(operationId="searchEvents")
    @blp.arguments(EventSearchArgsSchema(), location="query", as_kwargs=False)
    @blp.response(200, EventSearchResultSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, args: dict[str, Any]) -> Response:
        """Search events.

        Same conventions as article search: words and "quoted phrases" in `q`, facet filters
        (OR within a facet, AND across facets), facet counts under the other facets' filters,
        and cursor pagination. `date_from`/`date_to` filter on the event's own date.
        """
        query = search_query(args, facets=EVENT_FACETS)
        return page_response(services().store().search_events(query), event_json, args["fields"])


@blp.route("/<string:event_id>")
class EventById(MethodView):
    """One merged event."""

    @blp.requires("read")
    @blp.doc(operationId="getEvent", parameters=[IF_NONE_MATCH])
    @blp.response(200, EventSchema, headers={"ETag": ETAG_HEADER})
    @blp.alt_response(301, response="MOVED_PERMANENTLY")
    @blp.alt_response(304, description=NOT_MODIFIED_DESCRIPTION, headers={"ETag": ETAG_HEADER})
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, event_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Read a merged event.

        Every merged value lists the articles (and text spans) that state it; `conflicts`
        lists the facts the articles disagree on; `story_id`, `previous` and `next` place it
        in its story's timeline. An event merged into another answers 301
        with `Location` pointing at the surviving event. The answer carries a strong `ETag`
        (it changes whenever an article joins, leaves or changes); `If-None-Match` with it
        answers 304 (no body) while the event is unchanged.
        """
        store = services().store()
        event, _ = store.get_event(event_id)
        data = event_json(event)
        data.update(neighbours(_story_of(store, event.story_id), event.id))
        return data, 200, {"ETag": etag_of(data)}


@blp.route("/<string:event_id>/articles")
class EventArticles(MethodView):
    """The articles of one event."""

    @blp.requires("read")
    @blp.doc(operationId="listEventArticles")
    @blp.arguments(ArticleSearchArgsSchema(), location="query", as_kwargs=False)
    @blp.response(200, ArticleSearchResultSchema)
    @blp.alt_response(301, response="MOVED_PERMANENTLY")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, args: dict[str, Any], event_id: str) -> Response:
        """List (and search within) the articles of an event.

        Takes the parameters of article search; facets count within the event. 404 for an
        unknown event, 301 for one merged into another.
        """
        store = services().store()
        store.get_event(event_id)  # 404 or 301 before an empty list could mislead
        query = search_query(args, FACETS, event_id=event_id)
        return page_response(store.search_articles(query), article_json, args["fields"])


def _story_of(store: Store, story_id: str | None) -> Story | None:
    """The event's story, to name its neighbours (a story record lagging is no error)."""
    if story_id is None:
        return None
    try:
        return store.get_story(story_id)[0]
    except Moved as moved:
        return store.get_story(moved.new_id)[0]
    except NotFound:
        return None

"""Story endpoints: faceted search over stories, and one story's timeline."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from api.blueprint import Blueprint
from api.compression import ETAG_HEADER, IF_NONE_MATCH, NOT_MODIFIED_DESCRIPTION, etag_of
from api.search_args import page_response, search_query
from api.services import services
from api.stories.schemas import StorySchema, StorySearchArgsSchema, StorySearchResultSchema
from indexer.records import story_json
from indexer.store.query import STORY_FACETS

blp = Blueprint(
    "stories",
    __name__,
    url_prefix="/v1/stories",
    description="Stories: threads of events, from one happening to the next it led to.",
)


@blp.route("")
class Stories(MethodView):
    """The story collection."""

    @blp.requires("read")
    @blp.doc(operationId="searchStories")
    @blp.arguments(StorySearchArgsSchema(), location="query", as_kwargs=False)
    @blp.response(200, StorySearchResultSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, args: dict[str, Any]) -> Response:
        """Search stories.

        Same conventions as article and event search: words and "quoted phrases" in `q`,
        facet filters (OR within a facet, AND across facets), facet counts under the other
        facets' filters, cursor pagination. `date_from`/`date_to` filter on the day of the
        story's latest event.
        """
        query = search_query(args, facets=STORY_FACETS)
        return page_response(services().store().search_stories(query), story_json, args["fields"])


@blp.route("/<string:story_id>")
class StoryById(MethodView):
    """One story."""

    @blp.requires("read")
    @blp.doc(operationId="getStory", parameters=[IF_NONE_MATCH])
    @blp.response(200, StorySchema, headers={"ETag": ETAG_HEADER})
    @blp.alt_response(301, response="MOVED_PERMANENTLY")
    @blp.alt_response(304, description=NOT_MODIFIED_DESCRIPTION, headers={"ETag": ETAG_HEADER})
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, story_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Read a story: its events in the order they happened, with date, venue, title and
        article count each, and the happenings they announce that no event reports yet.

        A story merged into another answers 301 with `Location`.
        """
        story, _ = services().store().get_story(story_id)
        data = story_json(story)
        return data, 200, {"ETag": etag_of(data)}

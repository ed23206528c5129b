"""Article endpoints: ingest one or many, read, delete, and faceted search."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Response, request, url_for
from flask.views import MethodView

from api.articles.schemas import (
    ArticleInSchema,
    ArticleSchema,
    ArticleSearchArgsSchema,
    ArticleSearchResultSchema,
    BulkResultSchema,
)
from api.blueprint import Blueprint
from api.errors import (
    PROBLEM_JSON,
    bad_request,
    store_unavailable,
    unsupported_media_type,
    validation_failed,
)
from api.search_args import page_body, search_query
from api.services import services
from indexer.ingest import Indexer
from indexer.intake import Outcome, ingest_record, to_input
from indexer.records import article_json

blp = Blueprint(
    "articles",
    __name__,
    url_prefix="/v1/articles",
    description="Ingest articles, read them back and search them with facets.",
)

NDJSON = "application/x-ndjson"


def requires_content_type(*allowed: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Answer 415 before parsing when the body is not one of ``allowed`` media types."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.mimetype not in allowed:
                return unsupported_media_type(allowed, request.mimetype)
            return view(*args, **kwargs)

        return wrapper

    return decorate


@blp.route("")
class Articles(MethodView):
    """The article collection."""

    @blp.arguments(ArticleSearchArgsSchema, location="query", as_kwargs=False)
    @blp.response(200, ArticleSearchResultSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search articles.

        Full-text search with facet filters (repeat a parameter for OR within a facet; different
        facets combine with AND), a publication date range, sorting and cursor pagination.
        Every response carries facet counts for every facet, each computed with the filters of
        the *other* facets applied, so a sidebar can show what selecting a value would give.
        """
        return page_body(services().store().search_articles(search_query(args)), article_json)

    @requires_content_type("application/json")
    @blp.arguments(ArticleInSchema, example={
        "text": "During crisis talks in Geneva yesterday, the United States and Russia ...",
        "title": "US-Russia talks in Geneva",
        "source": "sample-short",
        "published_at": "2022-01-11",
    })
    @blp.response(201, ArticleSchema, description="Indexed: the new record.")
    @blp.alt_response(200, schema=ArticleSchema, description="Already indexed: the stored record.")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Index one article.

        Idempotent: posting the same article again returns the stored record with 200 instead
        of 201. An id that is already taken by different content is a 409.
        """
        result = services().indexer().ingest(to_input(data))
        location = url_for("articles.ArticleById", article_id=result.article.id)
        return article_json(result.article), 201 if result.created else 200, {"Location": location}


@blp.route("/bulk", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "description": "One JSON article object per line (the fields of `ArticleIn`).",
        "content": {NDJSON: {"schema": {"type": "string"}}},
    }
)
@blp.response(200, BulkResultSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
@requires_content_type(NDJSON, "application/jsonl")
def bulk() -> dict[str, Any] | Response:
    """Index many articles from NDJSON.

    Each line is handled on its own: the response says per line whether it was created,
    unchanged, rejected (with field errors) or a conflict; one bad line does not sink the
    others. When every line is rejected the answer is 422, with the same per-line `results`
    inside the problem. If the store becomes unreachable, the answer is 503 and its `results`
    say which lines were stored before that; resend the rest.
    """
    request.max_content_length = services().settings.max_bulk_bytes
    indexer = services().indexer()
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "unchanged": 0, "rejected": 0}
    for number, raw in enumerate(request.get_data(cache=False).splitlines(), start=1):
        if not raw.strip():
            continue
        outcome = _bulk_line(number, raw, indexer)
        if outcome["status"] == "unavailable":
            results.append(outcome)
            return store_unavailable(
                f"The store became unreachable at line {number}; lines before it listed as "
                "created or unchanged are stored, resend the rest.",
                results=results,
            )
        results.append(outcome)
        key = outcome["status"] if outcome["status"] in counts else "rejected"
        counts[key] += 1
    if not results:
        return bad_request("The body holds no NDJSON lines.")
    if counts["rejected"] == len(results):
        return validation_failed(
            f"All {len(results)} lines were rejected; nothing was stored. See results.",
            results=results,
        )
    return {**counts, "results": results}


def _bulk_line(number: int, raw: bytes, indexer: Indexer) -> dict[str, Any]:
    """Decode and ingest one NDJSON line, reporting instead of raising."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        outcome = Outcome("rejected", errors={"_line": [f"invalid JSON: {exc}"]})
    else:
        outcome = ingest_record(indexer, data)
    return {"line": number, "status": outcome.status, "id": outcome.id, "errors": outcome.errors}


@blp.route("/<article_id:article_id>")
class ArticleById(MethodView):
    """One article."""

    @blp.response(200, ArticleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, article_id: str) -> dict[str, Any]:
        """Read an article with its extracted metadata.

        Offsets in parties, venues, places, dates and demands point into the returned `text`.
        """
        return article_json(services().store().get_article(article_id))

    @blp.response(204, description="Deleted.")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def delete(self, article_id: str) -> None:
        """Delete an article.

        It disappears from search and facet counts at once; a later POST of the same content
        indexes it again.
        """
        services().indexer().delete(article_id)


__all__ = ["PROBLEM_JSON", "blp"]

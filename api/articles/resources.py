"""Article endpoints: ingest one or many, read, delete, and faceted search."""

from __future__ import annotations

import functools
import json
import logging
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
from api.config import Settings
from api.errors import (
    PROBLEM_JSON,
    bad_request,
    store_unavailable,
    too_large,
    unsupported_media_type,
    validation_failed,
)
from api.limits import DEPTH_MESSAGE, read_body, too_deep
from api.request_ids import request_id
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
log = logging.getLogger(__name__)


def takes_body(
    *allowed: str, limit: Callable[[Settings], int]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """415 unless the body is one of ``allowed``; 413 unless it fits ``limit`` (read in full).

    Both are answered before any parsing, so an oversize body never stores a part of itself.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.mimetype not in allowed:
                return unsupported_media_type(allowed, request.mimetype)
            return read_body(limit(services().settings)) or view(*args, **kwargs)

        return wrapper

    return decorate


@blp.route("")
class Articles(MethodView):
    """The article collection."""

    @blp.requires("read")
    @blp.doc(operationId="searchArticles")
    @blp.arguments(ArticleSearchArgsSchema, location="query", as_kwargs=False)
    @blp.response(200, ArticleSearchResultSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search articles.

        Full-text search with facet filters (repeat a parameter for OR within a facet; different
        facets combine with AND), a publication date range, sorting and cursor pagination.
        Every response carries facet counts for every facet, each computed with the filters of
        the *other* facets applied, so a sidebar can show what selecting a value would give.
        """
        return page_body(services().store().search_articles(search_query(args)), article_json)

    @blp.requires("write")
    @blp.doc(operationId="createArticle")
    @takes_body("application/json", limit=lambda settings: settings.max_body_bytes)
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
@blp.requires("write")
@blp.doc(
    operationId="bulkCreateArticles",
    requestBody={
        "required": True,
        "description": "One JSON article object per line (the fields of `ArticleIn`); at most "
        f"{Settings.max_bulk_lines} lines and {Settings.max_bulk_bytes} bytes by default "
        "(`STORYRECORDS_MAX_BULK_LINES`, `STORYRECORDS_MAX_BULK_BYTES`); more is a 413 and "
        "nothing is stored.",
        "content": {NDJSON: {"schema": {"type": "string"}}},
    },
)
@blp.response(200, BulkResultSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
@takes_body(NDJSON, "application/jsonl", limit=lambda settings: settings.max_bulk_bytes)
def bulk() -> dict[str, Any] | Response:
    """Index many articles from NDJSON.

    Each line is handled on its own: the response says per line whether it was created,
    unchanged, rejected (with field errors) or a conflict; one bad line does not sink the
    others. When every line is rejected the answer is 422, with the same per-line `results`
    inside the problem. If the store becomes unreachable, the answer is 503 and its `results`
    say which lines were stored before that; resend the rest. A line that fails in an
    unexpected way is reported as `error` (logged under the request id) and the rest go on.
    A body over the line or size limit is a 413 before anything is stored.
    """
    lines = [(n, raw) for n, raw in enumerate(request.get_data().splitlines(), 1) if raw.strip()]
    most = services().settings.max_bulk_lines
    if len(lines) > most:
        return too_large(f"The body holds {len(lines)} lines; at most {most} are taken at "
                         "once. Nothing was stored; send them in smaller batches.")
    indexer = services().indexer()
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "unchanged": 0, "rejected": 0}
    for number, raw in lines:
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
    """Decode and ingest one NDJSON line, reporting instead of raising (whatever happens)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        outcome = Outcome("rejected", errors={"_line": [DEPTH_MESSAGE]})
    except (ValueError, UnicodeDecodeError) as exc:
        outcome = Outcome("rejected", errors={"_line": [f"invalid JSON: {exc}"]})
    else:
        if too_deep(data):
            outcome = Outcome("rejected", errors={"_line": [DEPTH_MESSAGE]})
        else:
            try:
                outcome = ingest_record(indexer, data)
            except Exception:  # one line's bug must not cost the lines after it
                log.exception("request %s: bulk line %d failed", request_id(), number)
                message = f"An unexpected error occurred; it was logged under {request_id()}."
                return {"line": number, "status": "error", "id": None,
                        "errors": {"_line": [message]}}
    return {"line": number, "status": outcome.status, "id": outcome.id, "errors": outcome.errors}


@blp.route("/<article_id:article_id>")
class ArticleById(MethodView):
    """One article."""

    @blp.requires("read")
    @blp.doc(operationId="getArticle")
    @blp.response(200, ArticleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, article_id: str) -> dict[str, Any]:
        """Read an article with its extracted metadata.

        Offsets in parties, venues, places, dates and demands point into the returned `text`.
        """
        return article_json(services().store().get_article(article_id))

    @blp.requires("write")
    @blp.doc(operationId="deleteArticle")
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

"""Article endpoints: ingest one or many, read, delete, and faceted search."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, request, url_for
from flask.views import MethodView
from webargs.flaskparser import abort

from api.articles.schemas import (
    ArticleInSchema,
    ArticlePageArgsSchema,
    ArticleSchema,
    ArticleSearchArgsSchema,
    ArticleSearchResultSchema,
    BulkResultSchema,
)
from api.blueprint import Blueprint
from api.compression import ETAG_HEADER, IF_NONE_MATCH, NOT_MODIFIED_DESCRIPTION, etag_of
from api.config import Settings
from api.errors import (
    PROBLEM_JSON,
    bad_request,
    store_unavailable,
    too_large,
    unsupported_media_type,
    validation_failed,
)
from api.jobs.resources import submit as submit_job
from api.jobs.schemas import JobSchema
from api.limits import read_body
from api.request_ids import request_id
from api.search_args import page_response, search_query
from api.services import services
from indexer.bulk import acceptable, batch_results, line_result, ndjson_lines
from indexer.intake import from_page, to_input
from indexer.jobs import BATCH_LINES
from indexer.models import ArticleInput
from indexer.records import article_json

blp = Blueprint(
    "articles",
    __name__,
    url_prefix="/v1/articles",
    description="Ingest articles, read them back and search them with facets.",
)

NDJSON = "application/x-ndjson"
HTML = "text/html"
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


CREATE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": ArticleInSchema,
            "example": {
                "text": "During crisis talks in Geneva yesterday, the United States and Russia ...",
                "title": "US-Russia talks in Geneva",
                "source": "sample-short",
                "published_at": "2022-01-11",
            },
        },
        HTML: {
            "schema": {"type": "string", "format": "binary",
                       "description": "A whole web page, as bytes: a `charset` parameter of the "
                       "Content-Type is honoured, else the page's own declaration; a gzip body "
                       "is inflated (within the page limit)."},
            "example": "<!doctype html><html lang=\"en\"><head><title>…</title></head>"
                       "<body><article><p>…</p></article></body></html>",
        },
    },
}


def _post_limit(settings: Settings) -> int:
    """A page may be bigger than a JSON body (``STORYRECORDS_MAX_PAGE_BYTES``)."""
    return settings.max_page_bytes if request.mimetype == HTML else settings.max_body_bytes


def _posted(page_args: dict[str, Any]) -> ArticleInput:
    """The article of a POST: from a JSON body (text or html), or a text/html body."""
    settings = services().settings
    pages: dict[str, Any] = {"max_bytes": settings.max_page_bytes,
                             "keep_html": settings.store_html}
    if request.mimetype == HTML:
        charset = request.mimetype_params.get("charset")
        return from_page(page_args, request.get_data(), charset=charset, **pages)
    given = sorted(name for name, value in page_args.items() if value is not None)
    if given:
        message = "only with a text/html body; a JSON body carries its fields itself"
        abort(422, messages={"query": {name: [message] for name in given}})
    data = blp.ARGUMENTS_PARSER.parse(ArticleInSchema(), request, location="json")
    html = data.pop("html", None)
    if html is not None:
        return from_page(data, html, **pages)
    return to_input(data)


@blp.route("")
class Articles(MethodView):
    """The article collection."""

    @blp.requires("read")
    @blp.doc(operationId="searchArticles")
    @blp.arguments(ArticleSearchArgsSchema(), location="query", as_kwargs=False)
    @blp.response(200, ArticleSearchResultSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, args: dict[str, Any]) -> Response:
        """Search articles.

        Full-text search with facet filters (repeat a parameter for OR within a facet; different
        facets combine with AND), a publication date range, sorting and cursor pagination.
        Every response carries facet counts for every facet, each computed with the filters of
        the *other* facets applied, so a sidebar can show what selecting a value would give.
        """
        page = services().store().search_articles(search_query(args))
        return page_response(page, article_json, args["fields"])

    @blp.requires("write")
    @blp.doc(operationId="createArticle", requestBody=CREATE_BODY)
    @takes_body("application/json", HTML, limit=_post_limit)
    @blp.arguments(ArticlePageArgsSchema(), location="query", as_kwargs=False)
    @blp.response(201, ArticleSchema, description="Indexed: the new record.")
    @blp.alt_response(200, schema=ArticleSchema, description="Already indexed: the stored record.")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, page_args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Index one article, given as text or as the web page it is on.

        A JSON body (`ArticleIn`) carries `text`, or `html` with the whole page; a `text/html`
        body is the page itself, its other fields (`url`, `title`, `source`, `published_at`,
        `language`, `id`) as query parameters, which only such a body takes. From a page the
        article body and what the page says about itself are taken (title, authors,
        publication date, canonical URL, site name as `source`, language), each recorded in
        `page.sources` with where it came from; fields sent with it win. A page without an
        article (an index or error page) is a 422 `/problems/not-an-article`; input that is
        not a readable HTML page (binary, not HTML, encoding garbage) a 422
        `/problems/not-a-page`; a page over the page limit (after decompression) a 413.

        Idempotent: posting the same article again returns the stored record with 200 instead
        of 201. An id that is already taken by different content is a 409.
        """
        result = services().indexer().ingest(_posted(page_args))
        location = url_for("articles.ArticleById", article_id=result.article.id)
        return article_json(result.article), 201 if result.created else 200, {"Location": location}


PREFER: dict[str, Any] = {
    "in": "header",
    "name": "Prefer",
    "required": False,
    "description": "`respond-async` (RFC 7240): answer 202 with a job whatever the size of the "
    "batch (bigger batches get one anyway); `Preference-Applied` confirms it.",
    "schema": {"type": "string", "example": "respond-async"},
}
ACCEPTED_HEADERS: dict[str, Any] = {
    "Location": {"description": "The job: `/v1/jobs/{id}`.", "schema": {"type": "string"}},
    "Preference-Applied": {
        "description": "`respond-async` when the request asked for it.",
        "schema": {"type": "string"},
    },
}


def prefers_async() -> bool:
    """Whether the request's ``Prefer`` header (RFC 7240) holds ``respond-async``."""
    for header in request.headers.getlist("Prefer"):
        for preference in header.split(","):
            token = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
            if token == "respond-async":
                return True
    return False


@blp.route("/bulk", methods=["POST"])
@blp.requires("write")
@blp.doc(
    operationId="bulkCreateArticles",
    parameters=[PREFER],
    requestBody={
        "required": True,
        "description": "One JSON article object per line (the fields of `ArticleIn`); at most "
        f"{Settings.max_bulk_bytes} bytes by default (`STORYRECORDS_MAX_BULK_BYTES`), whether "
        "answered at once or as a job. Up to "
        f"{Settings.max_bulk_lines} lines (`STORYRECORDS_MAX_BULK_LINES`) are answered at "
        f"once, more become a job of at most {Settings.max_job_lines} lines "
        "(`STORYRECORDS_MAX_JOB_LINES`). Over either limit is a 413 and nothing is stored.",
        "content": {NDJSON: {"schema": {"type": "string"}}},
    },
)
@blp.response(200, BulkResultSchema)
@blp.alt_response(202, schema=JobSchema, headers=ACCEPTED_HEADERS,
                  description="Stored durably as a job; follow `Location` for its progress.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
@takes_body(NDJSON, "application/jsonl", limit=lambda settings: settings.max_bulk_bytes)
def bulk() -> dict[str, Any] | Response:
    """Index many articles from NDJSON: at once, or as a background job for big batches.

    **At once** (at most `STORYRECORDS_MAX_BULK_LINES` lines, 500 by default, and no
    `Prefer: respond-async`): each line is judged on its own and the answer says per line
    whether it was created, unchanged, rejected (with field errors) or a conflict; one bad
    line does not sink the others. The valid lines are ingested in batches of 50 (one hold of
    the assignment lock and one write per record for the whole batch), with the outcome each
    would have had alone. When every line is rejected the answer is 422, with the same
    per-line `results` inside the problem. If the store becomes unreachable, the answer is
    503 and its `results` say which lines were stored before that; resend the rest. A line
    that fails in an unexpected way is reported as `error` (logged under the request id) and
    the rest go on.

    **As a job** (more lines, or `Prefer: respond-async`): the answer is **202** with the job
    and `Location: /v1/jobs/{id}`, given only once the whole body is stored durably (fsynced
    by SQLite; acknowledged by Elasticsearch once in its translog): from then on no line is
    lost. A background thread in every API process (or `storyrecords jobs run`) claims a job
    by compare-and-set on its record, under a lease (`STORYRECORDS_JOB_LEASE_SECONDS`, 60),
    ingests the lines in order, in batches of `STORYRECORDS_JOB_BATCH_LINES` (50), and
    records progress and the lines' results every `STORYRECORDS_JOB_PROGRESS_LINES` (50)
    lines, renewing the lease with each record. If the
    worker dies, another one that has seen the record unchanged for a whole lease takes the
    job over (compare-and-set again, so only one can) and goes on from the last recorded
    line; the lines the dead worker stored after that are ingested again and come out
    `unchanged` (ingest is idempotent: nothing is stored twice), and any write of the old
    worker fails its version check. A job runs on one worker at a time, in line order: send
    several jobs to use several workers. Poll `GET /v1/jobs/{id}` for status and progress,
    and read the per-line results, a page at a time, at `GET /v1/jobs/{id}/results`. Jobs
    are kept outside the data a reindex replaces (`jobs.sqlite3` beside the store; the
    `{prefix}-jobs` index); a done job's body is deleted, its results are kept.

    A would-be job none of whose lines is an article object (checked before it is stored,
    up to the first good line) is a 422 with the first lines' `results`, as when answered at
    once; otherwise every line is judged by the worker. A body over the size limit, or a job
    over the line limit, is a 413 before anything is stored.
    """
    body = request.get_data()
    lines = ndjson_lines(body)
    if not lines:
        return bad_request("The body holds no NDJSON lines.")
    settings = services().settings
    asked = prefers_async()
    if asked or len(lines) > settings.max_bulk_lines:
        if len(lines) > settings.max_job_lines:
            return too_large(f"The body holds {len(lines)} lines; a job takes at most "
                             f"{settings.max_job_lines}. Nothing was stored; send them as "
                             "several jobs.")
        if not any(acceptable(raw) for _, raw in lines):  # stops at the first good line
            return _all_rejected(lines, settings.max_bulk_lines)
        return submit_job(lines, len(body), asked=asked)
    indexer = services().indexer()
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "unchanged": 0, "rejected": 0}
    for start in range(0, len(lines), BATCH_LINES):
        batch = lines[start:start + BATCH_LINES]
        for outcome in batch_results(indexer, batch,
                                     logged_as=lambda: f"request {request_id()}"):
            results.append(outcome)
            if outcome["status"] == "unavailable":
                return store_unavailable(
                    f"The store became unreachable at line {outcome['line']}; lines before it "
                    "listed as created or unchanged are stored, resend the rest.",
                    results=results,
                )
            key = outcome["status"] if outcome["status"] in counts else "rejected"
            counts[key] += 1
    if counts["rejected"] == len(results):
        return validation_failed(
            f"All {len(results)} lines were rejected; nothing was stored. See results.",
            results=results,
        )
    return {**counts, "results": results}


def _all_rejected(lines: list[tuple[int, bytes]], shown: int) -> Response:
    """422 for a would-be job none of whose lines is an article: nothing is stored."""
    indexer = services().indexer()  # each line fails validation: nothing is ingested
    results = [line_result(indexer, number, raw, logged_as=lambda: f"request {request_id()}")
               for number, raw in lines[:shown]]
    more = f" (results of the first {shown})" if len(lines) > shown else ""
    return validation_failed(
        f"All {len(lines)} lines were rejected; nothing was stored. See results{more}.",
        results=results,
    )


@blp.route("/<article_id:article_id>")
class ArticleById(MethodView):
    """One article."""

    @blp.requires("read")
    @blp.doc(operationId="getArticle", parameters=[IF_NONE_MATCH])
    @blp.response(200, ArticleSchema, headers={"ETag": ETAG_HEADER})
    @blp.alt_response(304, description=NOT_MODIFIED_DESCRIPTION, headers={"ETag": ETAG_HEADER})
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, article_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Read an article with its extracted metadata.

        Offsets in parties, venues, places, dates and demands point into the returned `text`.
        The answer carries a strong `ETag`; `If-None-Match` with it answers 304 (no body)
        while the article is unchanged.
        """
        data = article_json(services().store().get_article(article_id))
        return data, 200, {"ETag": etag_of(data)}

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

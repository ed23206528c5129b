"""The Flask app factory: nothing connects to a service until a request needs it."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from api import (
    compression,
    contract,
    docs,
    errors,
    headers,
    health,
    ratelimit,
    request_ids,
    services,
)
from api.articles.resources import blp as articles_blp
from api.articles.schemas import ArticleIdConverter, article_id_param
from api.compression import MIN_SIZE
from api.config import Settings
from api.errors import PROBLEM_JSON, ProblemSchema
from api.events.resources import blp as events_blp
from api.jobs.resources import blp as jobs_blp
from api.jobs.schemas import JobIdConverter, job_id_param
from api.limits import MAX_HEADERS, MAX_JSON_DEPTH, MAX_REQUEST_LINE, limit_url_length
from api.search_args import MAX_CURSOR_CHARS, MAX_FILTER_VALUES, MAX_Q_BYTES
from api.stories.resources import blp as stories_blp
from indexer import __version__
from indexer.ingest import Extractor
from indexer.store.base import Store

DESCRIPTION = f"""\
Machine-readable story records from news articles: parties, venues, dates and demands,
with faceted search over articles and over **events** — every article about one real-world
happening merged into one record, each value pointing back to the articles that state it,
and the facts the sources disagree on listed as `conflicts`.

**Keys**: writes (POST, DELETE, bulk) need `Authorization: Bearer <key>` with a key of the
`write` scope (`storyrecords keys create --name NAME --scope write`); reads are open unless the
server requires a `read` key. No key where one is needed, or a key that is not valid (even on
an open read), is **401** with `WWW-Authenticate: Bearer`; a key without the scope **403**.

**Rate limits** count per key, or per client address without one, across all workers; every
answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds), and
going over is **429** with `Retry-After`.

**Errors** are RFC 9457 `application/problem+json` bodies with `type`, `title`, `status`,
`detail`, `request_id` (also the `X-Request-Id` header; the server's log has the details under
it), and for validation failures `errors` (field messages by location). Validation of bodies
and query parameters answers **422**; malformed JSON **400**; a wrong `Content-Type` **415**; an
oversize body **413**; an unreachable store **503** with `Retry-After`, and nothing is
acknowledged that was not stored.

**Limits**: the request line and each header line are at most {MAX_REQUEST_LINE} bytes,
with at most {MAX_HEADERS} headers; `q` is at most {MAX_Q_BYTES} bytes of UTF-8, facet
filters at most {MAX_FILTER_VALUES} values in all, a cursor at most {MAX_CURSOR_CHARS}
characters, so any search within them fits. JSON bodies nest at most {MAX_JSON_DEPTH} levels.
Bodies over their limit are **413** however they are framed (chunked too).

**Search** takes words (all must match) and "quoted phrases"; no other query syntax.
Facet parameters repeat for OR within a facet and combine with AND across facets. Pages are
walked with the opaque `next_cursor`; a walk never shows articles indexed after it began.

**Events** keep their id as articles join; an event merged into another answers **301** with
`Location` naming the survivor. An event is one happening; when evidence shows one holds two,
it is split (the larger part keeps the id; `split_from`/`split_into` give the lineage).

**Stories** thread events: the Geneva talks, then the council in Brussels they announced, then
the meeting in Vienna. Every event has a `story_id` and its `previous`/`next` event;
`GET /v1/stories/{id}` gives the timeline and the happenings still announced.

**Payloads**: search hits are lean by default (no article `text`, no mention lists); the
`fields` parameter names the top-level fields a hit carries (comma-separated; `id` always;
an unknown name is a **422**). Successful answers of at least {MIN_SIZE} bytes are
gzip-compressed when `Accept-Encoding` allows it (`Vary: Accept-Encoding`); problems and
streamed files are sent as they are. `GET /v1/articles/{{id}}` and `GET /v1/events/{{id}}`
carry a strong `ETag` (`:gzip` appended on a compressed answer), and `If-None-Match` with it
answers **304** while the record is unchanged.

**Bulk jobs**: a bulk body of more lines than the synchronous cap, or one sent with
`Prefer: respond-async`, is stored durably and answered **202** with a job at
`/v1/jobs/{{id}}`; workers in the background ingest it, resumably, with progress and per-line
results to read (see `bulkCreateArticles`).
"""

#: Headers each shared error response documents, beyond X-Request-Id.
ERROR_HEADERS: dict[int, tuple[str, ...]] = {
    401: ("WWW-Authenticate",),
    403: ("WWW-Authenticate",),
    429: ("Retry-After", *contract.RATE_HEADERS),
    503: ("Retry-After",),
}


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting every error response as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        contract.register(self.spec)
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response: dict[str, Any] = {
                "description": status.phrase,
                "schema": ProblemSchema,
                "headers": {
                    name: name for name in ("X-Request-Id", *ERROR_HEADERS.get(status, ()))
                },
            }
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        moved: dict[str, Any] = {
            "description": "Merged into another record; follow `Location`.",
            "schema": ProblemSchema,
            "headers": {
                "Location": {"description": "The surviving record.", "schema": {"type": "string"}},
                "X-Request-Id": "X-Request-Id",
            },
        }
        prepare_response(moved, self.spec, PROBLEM_JSON)
        self.spec.components.response("MOVED_PERMANENTLY", moved, lazy=True)
        default: dict[str, Any] = {"description": "Error", "schema": ProblemSchema}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def _register_pagination_header(self) -> None:
        """No endpoint pages with headers (cursors are in the body): no unused component."""


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    extractor: tuple[Extractor, str] | None = None,
) -> Flask:
    """Build the app; ``store`` and ``extractor`` are for tests that inject their own."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        API_TITLE="storyrecords",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_SPEC_OPTIONS={
            "info": {
                "description": DESCRIPTION,
                "license": {
                    "name": "Apache-2.0",
                    "url": "https://www.apache.org/licenses/LICENSE-2.0",
                },
            },
            "servers": [{"url": "http://127.0.0.1:8080", "description": "local"}],
        },
    )
    found = services.init_app(app, settings, store=store, extractor=extractor)
    # The bulk-job thread starts with the first request, never at import or app creation.
    app.before_request(lambda: found.job_worker().start())
    request_ids.init_app(app)
    headers.init_app(app, settings)
    app.before_request(limit_url_length)
    ratelimit.init_app(app, settings)
    app.url_map.converters["article_id"] = ArticleIdConverter
    app.url_map.converters["job_id"] = JobIdConverter
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [contract.ContractPlugin()]})
    api.register_converter(ArticleIdConverter, article_id_param)
    api.register_converter(JobIdConverter, job_id_param)
    api.register_blueprint(articles_blp)
    api.register_blueprint(events_blp)
    api.register_blueprint(stories_blp)
    api.register_blueprint(jobs_blp)
    api.register_blueprint(health.blp)
    app.register_blueprint(docs.bp)
    errors.init_app(app)
    compression.init_app(app)  # last: it must see every answer before other hooks add to it
    return app

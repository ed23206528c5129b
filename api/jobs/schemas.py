"""Marshmallow schemas of bulk jobs: the job with its progress, and pages of per-line results."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate
from werkzeug.routing import BaseConverter

from api.articles.schemas import BulkLineResultSchema
from indexer.bulk import LINE_STATUSES
from indexer.jobs import STATUSES

JOB_ID_REGEX = r"j[0-9a-f]{24}"
MAX_RESULTS_PAGE = 1000


class JobIdConverter(BaseConverter):
    """URL segment holding a job id (anything else is a 404 before a view runs)."""

    regex = JOB_ID_REGEX


def job_id_param(_: JobIdConverter) -> dict[str, Any]:
    """How the converter is documented in openapi.yaml."""
    return {"type": "string", "pattern": f"^{JOB_ID_REGEX}$"}


class JobSchema(ma.Schema):
    """A bulk job: a batch stored whole, ingested line by line in the background."""

    id = ma.fields.String(required=True, metadata={"example": "j5f0c3a9e1b2d4c6e8f0a1b2c"})
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "`queued`: stored, waiting for a worker (also after a worker that "
            "was stopping handed it back). `running`: a worker holds it (if that worker died, "
            "another takes it over once the lease has passed, and goes on from `done`). `done`: "
            "every line has its result. `failed`: workers died on it three times in a row "
            "without any progress (a line may crash them); see `error`, the results so far "
            "stay readable."
        },
    )
    total = ma.fields.Integer(
        required=True, metadata={"description": "Lines in the batch (blank lines not counted)."}
    )
    done = ma.fields.Integer(
        required=True, metadata={"description": "Lines with a result so far (readable in "
                                 "`results`)."}
    )
    progress = ma.fields.Float(
        required=True, metadata={"description": "`done` / `total`, from 0 to 1.",
                                 "example": 0.42}
    )
    created = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True)
    rejected = ma.fields.Integer(
        required=True, metadata={"description": "Lines not stored, for whatever reason."}
    )
    bytes = ma.fields.Integer(required=True, metadata={"description": "Size of the body."})
    attempts = ma.fields.Integer(
        required=True, metadata={"description": "How many times a worker claimed the job (more "
                                 "than 1: it was handed back or taken over)."}
    )
    error = ma.fields.String(
        allow_none=True, required=True, metadata={"description": "Why it `failed`; else null."}
    )
    submitted_at = ma.fields.String(required=True)
    started_at = ma.fields.String(allow_none=True, required=True)
    updated_at = ma.fields.String(
        required=True, metadata={"description": "Last progress recorded (every few dozen lines "
                                 "while it runs)."}
    )
    finished_at = ma.fields.String(allow_none=True, required=True)
    results = ma.fields.String(
        required=True,
        metadata={"description": "Where the per-line results are read.",
                  "example": "/v1/jobs/j5f0c3a9e1b2d4c6e8f0a1b2c/results"},
    )


class JobResultsArgsSchema(ma.Schema):
    """Paging and filtering a job's per-line results. Unknown parameters are rejected."""

    class Meta:
        unknown = ma.RAISE

    offset = ma.fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"description": "Where to start: the `next_offset` of the previous page (0: "
                  "the first line)."},
    )
    size = ma.fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=MAX_RESULTS_PAGE),
        metadata={"description": f"Results per page, at most {MAX_RESULTS_PAGE}."},
    )
    status = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(LINE_STATUSES)),
        validate=validate.Length(max=len(LINE_STATUSES)),
        metadata={
            "description": "Only lines with this status (repeat for several), e.g. `rejected` "
            "to find what to fix. A filtered page scans a bounded stretch of the job, so it may "
            "hold fewer than `size` results while `next_offset` goes on.",
            "explode": True,
            "style": "form",
        },
    )


class JobResultsSchema(ma.Schema):
    """A page of a job's per-line results, in line order."""

    job_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(STATUSES))
    total = ma.fields.Integer(required=True)
    done = ma.fields.Integer(required=True)
    offset = ma.fields.Integer(required=True)
    results = ma.fields.List(ma.fields.Nested(BulkLineResultSchema), required=True)
    next_offset = ma.fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Pass as `offset` for the next page; null once the job is "
                  "finished and nothing is left. While it runs, the next page may be empty "
                  "until more lines are done."},
    )

"""Bulk job endpoints: a job's state and progress, and its per-line results page by page.

Jobs are made by ``POST /v1/articles/bulk`` (see :func:`submit`): a body over the line cap,
or any body sent with ``Prefer: respond-async``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, jsonify, url_for
from flask.views import MethodView

from api.auth import caller
from api.blueprint import Blueprint
from api.jobs.schemas import JobResultsArgsSchema, JobResultsSchema, JobSchema
from api.services import services
from indexer.jobs import Job, new_job, read_results

blp = Blueprint(
    "jobs",
    __name__,
    url_prefix="/v1/jobs",
    description="Bulk jobs: big NDJSON batches stored durably, then ingested in the background, "
    "with progress and per-line results.",
)

def job_json(job: Job) -> dict[str, Any]:
    """A job as clients see it (who holds it, and its lease, stay internal)."""
    return {
        "id": job.id,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "progress": round(job.done / job.total, 4) if job.total else 1.0,
        "created": job.created,
        "unchanged": job.unchanged,
        "rejected": job.rejected,
        "bytes": job.bytes,
        "attempts": job.epoch,
        "error": job.error,
        "submitted_at": job.created_at,
        "started_at": job.started_at,
        "updated_at": job.updated_at or job.created_at,
        "finished_at": job.finished_at,
        "results": url_for("jobs.JobResults", job_id=job.id),
    }


def submit(lines: Sequence[tuple[int, bytes]], body_bytes: int, *, asked: bool) -> Response:
    """Store the batch as a job (durably, before answering) and answer 202 with it."""
    key = caller(services().keys()).key
    job, chunks = new_job(
        lines,
        body_bytes=body_bytes,
        key_id=key.key_id if key else None,
        key_name=key.name if key else None,
    )
    services().store().jobs().create(job, chunks)
    services().job_worker().wake(job.id)
    response = jsonify(JobSchema().dump(job_json(job)))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.JobById", job_id=job.id)
    if asked:
        response.headers["Preference-Applied"] = "respond-async"
    return response


@blp.route("/<job_id:job_id>")
class JobById(MethodView):
    """One bulk job."""

    @blp.requires("read", key_required=True)
    @blp.doc(operationId="getJob")
    @blp.response(200, JobSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, job_id: str) -> dict[str, Any]:
        """Read a job: its status, counts and progress.

        Poll it (every few seconds) until `status` is `done` or `failed`; progress is recorded
        every few dozen lines. Needs an API key even where reads are open: the key that
        submitted the job, or any other key with the `read` scope.
        """
        job, _ = services().store().jobs().get(job_id)
        return job_json(job)


@blp.route("/<job_id:job_id>/results")
class JobResults(MethodView):
    """The per-line results of one bulk job."""

    @blp.requires("read", key_required=True)
    @blp.doc(operationId="listJobResults")
    @blp.arguments(JobResultsArgsSchema(), location="query", as_kwargs=False)
    @blp.response(200, JobResultsSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self, args: dict[str, Any], job_id: str) -> dict[str, Any]:
        """Read a job's per-line results, in line order, a page at a time.

        Each result is what the synchronous bulk answer would have said of the line (`line`,
        `status`, `id`, `errors`). Only lines already done are listed; walk the pages with
        `next_offset`. A line a worker stored but had not yet recorded when it died is
        reported `unchanged` by the worker that took over (it was not stored twice). Needs an
        API key even where reads are open: the key that submitted the job, or any other key
        with the `read` scope.
        """
        jobs = services().store().jobs()
        job, _ = jobs.get(job_id)
        results, next_offset = read_results(
            jobs, job, offset=args["offset"], size=args["size"], statuses=args.get("status") or ()
        )
        return {
            "job_id": job.id,
            "status": job.status,
            "total": job.total,
            "done": job.done,
            "offset": args["offset"],
            "results": results,
            "next_offset": next_offset,
        }

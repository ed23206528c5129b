"""Liveness and readiness: is the process up, and can it reach its store."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from api.blueprint import Blueprint
from api.services import services

blp = Blueprint("health", __name__, description="Probes for load balancers and orchestrators.")


class HealthSchema(ma.Schema):
    """Probe answer."""

    status = ma.fields.String(required=True, metadata={"example": "ok"})
    store = ma.fields.String(metadata={"example": "embedded"})


@blp.route("/healthz")
@blp.doc(operationId="healthz")
@blp.response(200, HealthSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def healthz() -> dict[str, Any]:
    """The process is up.

    Does not touch the store, so a store outage never makes the orchestrator restart the API.
    Needs no key and is never rate limited; 400 only for a `Host` the server does not serve.
    """
    return {"status": "ok"}


@blp.route("/readyz")
@blp.doc(operationId="readyz")
@blp.response(200, HealthSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def readyz() -> dict[str, Any]:
    """The store answers.

    503 with `Retry-After` when it does not: take the instance out of rotation, keep it alive.
    """
    services().store().ping()
    return {"status": "ready", "store": services().backend_name()}

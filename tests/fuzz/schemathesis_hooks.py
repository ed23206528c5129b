"""Teaches schemathesis to send NDJSON bodies for the bulk endpoint."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(_ctx: Any, value: Any) -> bytes:
    """A string body is sent as is; anything else as one JSON line."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return (json.dumps(value) + "\n").encode()

"""One NDJSON line of a bulk batch, decoded and ingested: the same whether the API answers it at
once or a job worker gets to it later.

A line's outcome is reported, never raised: invalid JSON, JSON nested too deep, a rejected
record, a conflict, an unreachable store and even a bug all become the line's ``status``, so
one line can never cost the lines after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from indexer.ingest import Indexer
from indexer.intake import ArticleInSchema, Outcome, ingest_items, ingest_record, validate_record
from indexer.models import ArticleInput

log = logging.getLogger(__name__)

#: JSON nesting allowed in a body or bulk line (articles are flat: one level).
MAX_JSON_DEPTH = 32
DEPTH_MESSAGE = f"JSON nested more than {MAX_JSON_DEPTH} levels deep is not accepted."

#: Every status a line can end in; only ``created`` and ``unchanged`` lines are stored.
LINE_STATUSES: tuple[str, ...] = (
    "created", "unchanged", "rejected", "conflict", "unavailable", "error"
)
STORED: tuple[str, ...] = ("created", "unchanged")

_SCHEMA = ArticleInSchema()


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def ndjson_lines(body: bytes) -> list[tuple[int, bytes]]:
    """(line number counted from 1, raw line) of every line that is not blank."""
    return [(n, raw) for n, raw in enumerate(body.splitlines(), 1) if raw.strip()]


def acceptable(raw: bytes) -> bool:
    """Whether a line could be stored as far as its form goes: JSON, not nested too deep, an
    object the article schema takes. (What only ingesting finds out, such as a page with no
    article in it, is left to the worker.) Cheap: no extraction, no store."""
    try:
        data = json.loads(raw)
    except (RecursionError, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict) or too_deep(data):
        return False
    return not _SCHEMA.validate(data)


def _decoded(raw: bytes) -> Any | Outcome:
    """The line's JSON value, or the rejection of a line that is not usable JSON."""
    try:
        data = json.loads(raw)
    except RecursionError:
        return Outcome("rejected", errors={"_line": [DEPTH_MESSAGE]})
    except (ValueError, UnicodeDecodeError) as exc:
        return Outcome("rejected", errors={"_line": [f"invalid JSON: {exc}"]})
    if too_deep(data):
        return Outcome("rejected", errors={"_line": [DEPTH_MESSAGE]})
    return data


def _result(number: int, outcome: Outcome) -> dict[str, Any]:
    return {"line": number, "status": outcome.status, "id": outcome.id, "errors": outcome.errors}


def _failed(number: int, logged_as: Callable[[], str]) -> dict[str, Any]:
    """An unexpected exception: logged under ``logged_as()`` (a request or job reference),
    and reported naming only that reference, never the exception."""
    where = logged_as()
    log.exception("%s: bulk line %d failed", where, number)
    message = f"An unexpected error occurred; it was logged under {where}."
    return {"line": number, "status": "error", "id": None, "errors": {"_line": [message]}}


def line_result(
    indexer: Indexer, number: int, raw: bytes, *, logged_as: Callable[[], str]
) -> dict[str, Any]:
    """Decode and ingest one NDJSON line: ``{"line", "status", "id", "errors"}``."""
    data = _decoded(raw)
    if isinstance(data, Outcome):
        return _result(number, data)
    try:
        return _result(number, ingest_record(indexer, data))
    except Exception:  # one line's bug must not cost the lines after it
        return _failed(number, logged_as)


def batch_results(
    indexer: Indexer, lines: Sequence[tuple[int, bytes]], *, logged_as: Callable[[], str]
) -> list[dict[str, Any]]:
    """:func:`line_result` of each line, the valid ones ingested as one batch.

    A bug that escapes the batch costs it nothing: the lines are done again one by one,
    so only the line that has it reports ``error``.
    """
    judged: list[dict[str, Any] | ArticleInput] = []
    for number, raw in lines:
        data = _decoded(raw)
        item = data if isinstance(data, Outcome) else validate_record(data)
        judged.append(_result(number, item) if isinstance(item, Outcome) else item)
    valid = [(item, None) for item in judged if isinstance(item, ArticleInput)]
    try:
        outcomes = iter(ingest_items(indexer, valid))
    except Exception:
        log.exception("%s: a batch of %d lines failed; doing them one by one", logged_as(),
                      len(lines))
        return [line_result(indexer, number, raw, logged_as=logged_as) for number, raw in lines]
    return [_result(number, next(outcomes)) if isinstance(item, ArticleInput) else item
            for (number, _), item in zip(lines, judged, strict=True)]

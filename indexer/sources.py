"""Read article files (.txt, .json, .ndjson) into raw records, reporting unreadable ones."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIXES = (".txt", ".json", ".ndjson", ".jsonl")
MAX_TITLE = 200


@dataclass(frozen=True)
class SourceRecord:
    """One article as read from disk: its fields, or why it could not be read."""

    origin: str
    data: dict[str, Any]
    error: str | None = None


def read_sources(
    paths: Iterable[Path], defaults: Mapping[str, str | None] | None = None
) -> Iterator[SourceRecord]:
    """Yield a record per article in the files (directories are walked, sorted for stable order).

    ``defaults`` fill fields a file leaves out (e.g. ``source``, ``published_at``).
    """
    fill = {k: v for k, v in (defaults or {}).items() if v is not None}
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES)
        else:
            files = [path]
        for file in files:
            for record in _read_file(file):
                if record.error is None:
                    record = SourceRecord(record.origin, {**fill, **record.data})
                yield record


def _read_file(path: Path) -> Iterator[SourceRecord]:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield SourceRecord(str(path), {}, f"cannot read file: {exc}")
        return
    if path.suffix == ".txt":
        yield SourceRecord(str(path), txt_article(content))
    elif path.suffix == ".json":
        yield _json_record(str(path), content)
    elif path.suffix in (".ndjson", ".jsonl"):
        for number, line in enumerate(content.splitlines(), start=1):
            if line.strip():
                yield _json_record(f"{path}:{number}", line)
    else:
        yield SourceRecord(str(path), {}, f"unsupported file type {path.suffix or '(none)'}")


def txt_article(content: str) -> dict[str, Any]:
    """Title is the first line; a short headline line is not repeated in the text.

    Plain-text articles often start straight with the body; then the first line doubles as
    a (shortened) title and stays in the text, so nothing is lost from extraction.
    """
    first, _, rest = content.strip().partition("\n")
    first = first.strip()
    headline = len(first) <= MAX_TITLE and not first.endswith((".", "!", "?", "\u201d", '"'))
    if headline and rest.strip():
        return {"title": first, "text": rest.strip()}
    title = first if len(first) <= MAX_TITLE else first[:MAX_TITLE].rsplit(" ", 1)[0] + "\u2026"
    return {"title": title, "text": content.strip()}


def _json_record(origin: str, raw: str) -> SourceRecord:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return SourceRecord(origin, {}, f"invalid JSON: {exc}")
    if not isinstance(data, dict):
        return SourceRecord(origin, {}, "expected a JSON object with at least a 'text' field")
    return SourceRecord(origin, data)

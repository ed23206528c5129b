"""Index many records: extraction in a pool of processes, store writes in order in this one.

Extraction is nearly all of an article's cost and needs no store, so worker processes do
it side by side (each forked after the model is loaded, so they share its memory) while
this process validates, writes and assigns in the records' own order: the outcome of every
record is what indexing them one by one would have given, only sooner. A record already
stored is not extracted again (a re-run after a failure only does the rest).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from indexer.errors import Unprocessable
from indexer.ingest import Extractor, Indexer, article_id_for, extract_many
from indexer.intake import Outcome, ingest_items, validate_record
from indexer.jobs import BATCH_LINES
from indexer.models import ArticleInput, Extraction
from indexer.sources import SourceRecord

#: Records handed to a worker at a time, parsed by the model as one batch (as ``nlp.pipe``
#: does): big enough for the batch to pay, small enough to keep the workers in step.
CHUNK = 16

_extract: Extractor | None = None  # the extractor of a worker process (set before forking)


def default_processes() -> int:
    """One extraction process per core, leaving the store to this one (at most 4)."""
    return max(1, min(4, os.cpu_count() or 1))


Extracted = Extraction | tuple[str, str] | None


def _work(items: Sequence[ArticleInput | None]) -> list[Extracted]:
    """In a worker: extract the items as one batch (None stays None); a refusal travels back
    as (message, field)."""
    if _extract is None:
        return [None for _ in items]
    found = iter(extract_many(_extract, [item for item in items if item is not None]))
    out: list[Extracted] = []
    for item in items:
        each = None if item is None else next(found)
        out.append((str(each), each.field) if isinstance(each, Unprocessable) else each)
    return out


def can_fork() -> bool:
    """Whether forking is safe here: only from a process running no other thread.

    A forked child inherits every lock another thread held at that instant (logging,
    stdio, a store connection) and can wait on it forever; so a process that already
    runs threads (a server, a test session) extracts in itself instead.
    """
    return threading.active_count() == 1


def pool_size(wanted: int) -> int:
    """How many extraction processes run for ``wanted``: 1 (this one) when forking is unsafe."""
    return wanted if wanted > 1 and can_fork() else 1


def _extractions(
    items: Sequence[ArticleInput | None], extract: Extractor, processes: int
) -> Iterator[Extracted]:
    """The extraction of each item (None for None), in order, in ``processes`` processes,
    :data:`CHUNK` items at a time."""
    global _extract
    _extract = extract  # inherited by the forked workers, if any
    chunks = [items[at:at + CHUNK] for at in range(0, len(items), CHUNK)]
    if processes <= 1:
        for chunk in chunks:
            yield from _work(chunk)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_default_signals) as pool:
        for done in pool.imap(_work, chunks):
            yield from done


def _default_signals() -> None:
    """In each worker: SIGTERM ends it, whatever handler the parent had installed.

    ``Pool`` stops its workers with SIGTERM and then waits for them; a worker that inherited
    a handler which only asks to stop (``storyrecords jobs run`` installs one) never exits,
    and the wait never ends.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def index_all(
    indexer: Indexer,
    records: Sequence[SourceRecord],
    *,
    processes: int,
    on_outcome: Callable[[int, SourceRecord, Outcome], bool],
) -> None:
    """Validate, extract (in ``processes`` workers) and ingest every record, in order.

    ``on_outcome(number, record, outcome)`` hears each record's outcome as it is decided
    and returns False to stop (the store went away).
    """
    prepared: list[ArticleInput | Outcome] = []
    for record in records:
        if record.error is not None:
            prepared.append(Outcome("rejected", errors={"_file": [record.error]}))
        else:
            prepared.append(validate_record(record.data, trusted=record.trusted))
    valid = [item for item in prepared if isinstance(item, ArticleInput)]
    stored = indexer.stored(valid)
    to_extract = [
        item if isinstance(item, ArticleInput) and article_id_for(item) not in stored else None
        for item in prepared
    ]
    processes = pool_size(processes)  # decided once: the warm-up is only for a pool
    if processes > 1 and any(to_extract):
        # Load the model here, once: the forked workers share its memory.
        indexer.extractor(ArticleInput(text="Warm-up: talks in Geneva on Monday."))
    results = _extractions(to_extract, indexer.extractor, processes)
    window: list[tuple[int, SourceRecord, ArticleInput | Outcome, Any]] = []
    for number, (record, item, result) in enumerate(
        zip(records, prepared, results, strict=True), start=1
    ):
        window.append((number, record, item, result))
        if len(window) >= BATCH_LINES or number == len(records):
            for at, (n, rec, _, _) in zip(_outcomes(indexer, window), window, strict=True):
                if not on_outcome(n, rec, at):
                    return
            window = []


def _outcomes(
    indexer: Indexer, window: Sequence[tuple[int, SourceRecord, ArticleInput | Outcome, Any]]
) -> list[Outcome]:
    """The outcome of each record of the window, the extracted ones ingested as one batch."""
    decided: list[Outcome | tuple[ArticleInput, Extraction]] = []
    for _, _, item, result in window:
        if isinstance(item, Outcome):
            decided.append(item)
        elif isinstance(result, tuple):
            message, field = result
            decided.append(Outcome("rejected", errors={field: [message]}))
        else:
            decided.append((item, result))
    ingested = iter(ingest_items(indexer, [d for d in decided if isinstance(d, tuple)]))
    return [next(ingested) if isinstance(d, tuple) else d for d in decided]

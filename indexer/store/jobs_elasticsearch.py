"""Bulk jobs on Elasticsearch: one ``{prefix}-jobs`` index that no rebuild touches.

A reindex swaps the articles and events aliases and drops the old indices; the jobs index is
neither, so jobs outlive every rebuild. It holds three kinds of document: a job's record
(``_id`` the job id), its body chunks (``{job}.b{n}``, the raw lines base64-encoded) and its
result documents (``{job}.r{n}``). Every write is acknowledged only once its translog is
fsynced (the default ``index.translog.durability: request``).

Records are compare-and-set (``if_seq_no``/``if_primary_term``); result documents are written
with an external version made of the claim's epoch and the lines done (``external_gte``), so
one written under an older claim can never replace one of a newer claim, while the same
holder may write the same document again (a retry).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from elasticsearch import BadRequestError, ConflictError, Elasticsearch, NotFoundError

from indexer.errors import Conflict, NotFound
from indexer.jobs import RESULTS_PER_DOC, BodyChunk, Job, JobStore, Result
from indexer.store.mapping import SETTINGS

_KEYWORD: dict[str, Any] = {"type": "keyword"}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "kind": _KEYWORD,  # job, body or results
        "job_id": _KEYWORD,
        "status": _KEYWORD,
        "created_us": {"type": "long"},
        "index": {"type": "integer"},
        "doc": {"type": "object", "enabled": False},  # kept, never indexed
        "body": {"type": "binary"},
    },
}

#: Said explicitly, though it is the default: a write is acknowledged once its translog is
#: fsynced, which is what a 202 promises.
JOB_SETTINGS: dict[str, Any] = {**SETTINGS, "translog": {"durability": "request"}}

Errors = Callable[[str], AbstractContextManager[None]]


def _version(found: Mapping[str, Any]) -> str:
    return f"{found['_seq_no']}:{found['_primary_term']}"


def _cas(version: str) -> tuple[int, int]:
    seq_no, _, term = version.partition(":")
    try:
        return int(seq_no), int(term)
    except ValueError as exc:
        raise Conflict(f"not a version of this store: {version!r}") from exc


def _fence(job: Job) -> int:
    """The external version of a result document: later claims always win."""
    return (job.epoch << 32) | job.done


class ElasticsearchJobStore(JobStore):
    """Jobs as documents; ``errors`` maps outages to StoreUnavailable as the store does."""

    def __init__(self, client: Elasticsearch, index: str, errors: Errors) -> None:
        self._client = client
        self.index = index
        self._errors = errors

    def _create_index(self) -> None:
        try:
            self._client.indices.create(index=self.index, settings=JOB_SETTINGS,
                                        mappings=MAPPINGS)
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
        self._client.cluster.health(index=self.index, wait_for_active_shards="1", timeout="30s")

    def _record_doc(self, job: Job) -> dict[str, Any]:
        return {"kind": "job", "job_id": job.id, "status": job.status,
                "created_us": job.created_us, "doc": job.to_dict()}

    def create(self, job: Job, chunks: Sequence[BodyChunk]) -> None:
        with self._errors("store a bulk job"):
            if not self._client.indices.exists(index=self.index):
                self._create_index()
            for chunk in chunks:
                self._client.index(
                    index=self.index,
                    id=f"{job.id}.b{chunk.index}",
                    document={
                        "kind": "body", "job_id": job.id, "index": chunk.index,
                        "doc": {"first": chunk.first, "numbers": list(chunk.numbers)},
                        "body": base64.b64encode(b"\n".join(chunk.lines)).decode("ascii"),
                    },
                )
            try:
                self._client.index(index=self.index, id=job.id, document=self._record_doc(job),
                                   op_type="create")
            except ConflictError as exc:
                raise Conflict(f"a job {job.id} already exists") from exc

    def get(self, job_id: str) -> tuple[Job, str]:
        with self._errors("read a bulk job"):
            try:
                found = self._client.get(index=self.index, id=job_id).body
            except NotFoundError as exc:
                raise NotFound(f"no job {job_id}") from exc
        if found["_source"].get("kind") != "job":
            raise NotFound(f"no job {job_id}")
        return Job.from_dict(found["_source"]["doc"]), _version(found)

    def _search(self, query: dict[str, Any], sort: list[Any], size: int) -> list[Any]:
        try:
            # Job records change every few dozen lines at most: refreshing before listing makes
            # a listing see every acknowledged write, as on SQLite, at little cost.
            self._client.indices.refresh(index=self.index)
            hits: list[Any] = self._client.search(
                index=self.index, query=query, sort=sort, size=size, seq_no_primary_term=True
            ).body["hits"]["hits"]
        except NotFoundError:
            return []  # no job was ever submitted
        return hits

    def unfinished(self, limit: int = 100) -> list[tuple[Job, str]]:
        query = {"bool": {"filter": [{"term": {"kind": "job"}},
                                     {"terms": {"status": ["queued", "running"]}}]}}
        with self._errors("list bulk jobs"):
            hits = self._search(query, [{"created_us": "asc"}, {"job_id": "asc"}], limit)
        return [(Job.from_dict(hit["_source"]["doc"]), _version(hit)) for hit in hits]

    def recent(self, limit: int = 50) -> list[Job]:
        query = {"bool": {"filter": [{"term": {"kind": "job"}}]}}
        with self._errors("list bulk jobs"):
            hits = self._search(query, [{"created_us": "desc"}, {"job_id": "desc"}], limit)
        return [Job.from_dict(hit["_source"]["doc"]) for hit in hits]

    def _put_record(self, job: Job, version: str) -> str:
        seq_no, term = _cas(version)
        try:
            written = self._client.index(
                index=self.index, id=job.id, document=self._record_doc(job),
                if_seq_no=seq_no, if_primary_term=term,
            ).body
        except ConflictError as exc:
            if not self._client.exists(index=self.index, id=job.id):
                raise NotFound(f"no job {job.id}") from exc
            raise Conflict(f"job {job.id} changed since version {version}") from exc
        except NotFoundError as exc:
            raise NotFound(f"no job {job.id}") from exc
        return _version(written)

    def update(self, job: Job, *, version: str) -> str:
        with self._errors("update a bulk job"):
            return self._put_record(job, version)

    def record(self, job: Job, *, version: str, results: Mapping[int, Sequence[Result]]) -> str:
        with self._errors("record a bulk job's progress"):
            for idx, entries in results.items():
                try:
                    self._client.index(
                        index=self.index,
                        id=f"{job.id}.r{idx}",
                        document={"kind": "results", "job_id": job.id, "index": idx,
                                  "doc": {"results": list(entries)}},
                        version=_fence(job),
                        version_type="external_gte",
                    )
                except ConflictError as exc:
                    raise Conflict(
                        f"job {job.id}: results {idx} were written by a later claim"
                    ) from exc
            return self._put_record(job, version)

    def chunk(self, job_id: str, index: int) -> BodyChunk:
        with self._errors("read a bulk job's body"):
            try:
                source = self._client.get(index=self.index, id=f"{job_id}.b{index}").body[
                    "_source"]
            except NotFoundError as exc:
                raise NotFound(f"job {job_id} has no body chunk {index}") from exc
        lines = base64.b64decode(source["body"]).split(b"\n")
        return BodyChunk(index, source["doc"]["first"], tuple(source["doc"]["numbers"]),
                         tuple(lines))

    def results(self, job_id: str, docs: Sequence[int]) -> dict[int, list[Result]]:
        if not docs:
            return {}
        with self._errors("read a bulk job's results"):
            try:
                found = self._client.mget(
                    index=self.index, ids=[f"{job_id}.r{idx}" for idx in docs]
                ).body["docs"]
            except NotFoundError:
                return {}
        return {
            doc["_source"]["index"]: list(doc["_source"]["doc"]["results"])
            for doc in found if doc.get("found")
        }

    def _delete_ids(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 1000):
            operations = [{"delete": {"_index": self.index, "_id": i}}
                          for i in ids[start:start + 1000]]
            if operations:
                self._client.bulk(operations=operations)

    def drop_body(self, job: Job) -> None:
        with self._errors("delete a bulk job's body"):
            self._delete_ids([f"{job.id}.b{n}" for n in range(len(job.chunk_starts))])

    def delete(self, job_id: str) -> None:
        job, _ = self.get(job_id)
        with self._errors("delete a bulk job"):
            results = math.ceil(job.total / RESULTS_PER_DOC)
            self._delete_ids([f"{job.id}.b{n}" for n in range(len(job.chunk_starts))]
                             + [f"{job.id}.r{n}" for n in range(results)] + [job.id])

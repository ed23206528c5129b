"""API keys on Elasticsearch: one ``{prefix}-keys`` index that no rebuild touches.

A reindex swaps the articles and events aliases to new indices and drops the old ones; the
keys index is neither, so keys outlive every rebuild. A record's ``_id`` is the key's name
(creating with ``op_type=create`` makes names unique on the server), and writes wait for the
refresh, so a key is found by every process as soon as ``create`` returns, and a revoked one
is gone for every process as soon as ``revoke`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from elasticsearch import BadRequestError, ConflictError, Elasticsearch, NotFoundError

from indexer.errors import Conflict, NotFound
from indexer.keys import KeyRecord, KeyRing
from indexer.store.mapping import SETTINGS

_KEYWORD: dict[str, Any] = {"type": "keyword"}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "key_id": _KEYWORD,
        "name": _KEYWORD,
        "digest": {"type": "keyword", "index": False},
        "scopes": _KEYWORD,
        "created_at": _KEYWORD,
        "last_used_at": _KEYWORD,
    },
}
_MAX_KEYS = 10_000  # one page lists them all; a deployment with more keys has other problems

Errors = Callable[[str], AbstractContextManager[None]]


class ElasticsearchKeyRing(KeyRing):
    """Key records as documents; ``errors`` maps outages to StoreUnavailable as the store does."""

    def __init__(self, client: Elasticsearch, index: str, errors: Errors) -> None:
        self._client = client
        self.index = index
        self._errors = errors

    def _create_index(self) -> None:
        try:
            self._client.indices.create(index=self.index, settings=SETTINGS, mappings=MAPPINGS)
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
        self._client.cluster.health(index=self.index, wait_for_active_shards="1", timeout="30s")

    def add(self, record: KeyRecord) -> None:
        document = {
            "key_id": record.key_id,
            "name": record.name,
            "digest": record.digest,
            "scopes": list(record.scopes),
            "created_at": record.created_at,
            "last_used_at": record.last_used_at,
        }
        with self._errors("store an API key"):
            if not self._client.indices.exists(index=self.index):
                self._create_index()
            try:
                self._client.index(
                    index=self.index, id=record.name, document=document,
                    op_type="create", refresh="wait_for",
                )
            except ConflictError as exc:
                raise Conflict(f"a key named {record.name!r} already exists") from exc

    def find(self, key_id: str) -> KeyRecord | None:
        with self._errors("look up an API key"):
            try:
                hits = self._client.search(
                    index=self.index, query={"term": {"key_id": key_id}}, size=1
                ).body["hits"]["hits"]
            except NotFoundError:
                return None  # no key was ever made
        return _record(hits[0]["_source"]) if hits else None

    def all(self) -> list[KeyRecord]:
        with self._errors("list API keys"):
            try:
                hits = self._client.search(
                    index=self.index, query={"match_all": {}}, sort=[{"name": "asc"}],
                    size=_MAX_KEYS,
                ).body["hits"]["hits"]
            except NotFoundError:
                return []
        return [_record(hit["_source"]) for hit in hits]

    def revoke(self, name: str) -> None:
        with self._errors("revoke an API key"):
            try:
                self._client.delete(index=self.index, id=name, refresh="wait_for")
            except NotFoundError as exc:
                raise NotFound(f"no key named {name!r}") from exc

    def touch(self, key_id: str, when: str) -> None:
        record = self.find(key_id)
        if record is None:
            return
        with self._errors("record when an API key was used"):
            try:
                self._client.update(
                    index=self.index, id=record.name, doc={"last_used_at": when},
                    retry_on_conflict=3, refresh="wait_for",  # listed at once, as on SQLite
                )
            except NotFoundError:
                return  # revoked meanwhile
            except ConflictError:
                # Other requests recorded a use of this key at the same moment, and kept
                # winning past our retries: their time is as good as ours.
                return


def _record(source: dict[str, Any]) -> KeyRecord:
    return KeyRecord(
        key_id=source["key_id"],
        name=source["name"],
        digest=source["digest"],
        scopes=tuple(source["scopes"]),
        created_at=source["created_at"],
        last_used_at=source.get("last_used_at"),
    )

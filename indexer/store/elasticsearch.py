"""Elasticsearch backend: the same Store contract as the embedded one, on a real search server.

Nothing is contacted at construction; each versioned index and its alias are created on first
use. Words are split in Python exactly as the embedded FTS5 index splits them, so a query
finds the same articles on both backends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from elasticsearch import ApiError, BadRequestError, ConflictError, ConnectionTimeout, NotFoundError
from elasticsearch import TransportError as _TransportError

from indexer.errors import Conflict, InvalidQuery, Moved, NotFound, StoreUnavailable
from indexer.facets import event_text
from indexer.models import Article, Event, Story
from indexer.store import es_compile, mapping
from indexer.store.base import Candidate, PutResult, RecordWrite, Store
from indexer.store.es_client import build_client, redact_url
from indexer.store.es_lock import LeaseLock
from indexer.store.jobs_elasticsearch import ElasticsearchJobStore
from indexer.store.keys_elasticsearch import ElasticsearchKeyRing
from indexer.store.paging import (
    PagePlan,
    Row,
    article_taken,
    changed_since,
    cut_page,
    final_target,
    hit_fields,
    partial,
    plan_page,
)
from indexer.store.query import SearchPage, SearchQuery
from indexer.timefmt import iso_to_us, now_iso

T = TypeVar("T")


class RefusedWrite(Exception):
    """Elasticsearch refused a write of a batch for what it holds (HTTP 400: a document its
    mapping rejects): no retry changes that. Not an IndexerError, like the ApiError the
    single-record write raises: a bug, reported as such for the record that has it."""


_PUT_ATTEMPTS = 3  # create, or read back; a concurrent delete can make us go round again

#: The collections a rebuild fills and the alias swap replaces (locks, keys, jobs stay).
GENERATION = ("articles", "events", "stories")

#: After a request timed out, how long other requests fail at once instead of waiting too.
BREAKER_S = 2.0
_SHARD_WAIT = "30s"  # how long first use waits for a new index's shard to become active
#: Writes do not wait for a refresh (search sees them within the index's refresh interval;
#: reads by id see them at once). Where the next assignment must find a record founded a
#: moment ago, it is listed as founded instead (see ``_FOUNDED_IDS``). Deletions refresh, so
#: a deleted record leaves search and facet counts immediately.
_DELETE_REFRESH = "true"
#: Events and stories founded in the last minute, listed in one document each in the locks
#: index. The next assignment reads the list by id (real time) in ``events_founded_since``
#: and ``stories_founded_since``, and so finds a record founded a moment ago without its write
#: waiting for a refresh (~30-50 ms, on one article in five); after a minute the scheduled
#: refresh (1 s) has long made it searchable.
_FOUNDED_IDS = {"events": "events-founded", "stories": "stories-founded"}
FOUNDED_KEEP_US = 60_000_000


class ElasticsearchStore(Store):
    """Articles, events and locks in three indices behind the aliases ``{index}-articles``,
    ``{index}-events`` and ``{index}-locks``."""

    def __init__(
        self,
        url: str,
        index: str = "storyrecords",
        *,
        timeout: float = 10.0,
        api_key: str | None = None,
        ca_certs: str | Path | None = None,
    ) -> None:
        self.url = redact_url(url)  # what messages and logs name: never the credentials
        # Rebuild and retired stores connect the same way, credentials included.
        self._connect: dict[str, Any] = {"url": url, "api_key": api_key, "ca_certs": ca_certs}
        self.prefix = index
        self.alias = mapping.alias_name(index, "articles")
        self.events_alias = mapping.alias_name(index, "events")
        self.locks_alias = mapping.alias_name(index, "locks")
        self.stories_alias = mapping.alias_name(index, "stories")
        # The client connects lazily: constructing it sends nothing.
        self._client = build_client(url, api_key=api_key, ca_certs=ca_certs, timeout=timeout)
        self._ready: set[str] = set()
        self._ready_lock = threading.Lock()
        def run_locks(doing: str, call: Callable[[], Any]) -> Any:
            return self._run("locks", doing, call)

        self._lease = LeaseLock(self._client, self.locks_alias, run_locks)
        self._rebuild_lease = LeaseLock(
            self._client, self.locks_alias, run_locks, name="rebuild", lease_s=6.0, wait_s=8.0
        )
        self._base: dict[str, list[str]] = {}  # for a rebuild: the live indices it began from
        #: 0.0 while requests are answered; after a timeout, the monotonic time before which
        #: nothing is sent (then one probe at a time, until one is answered).
        self._down_until = 0.0
        self._probe = threading.Lock()
        self._local = threading.local()

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn "the server is not there or not coping" into StoreUnavailable.

        A request that times out trips a breaker: for ``BREAKER_S`` every request fails at
        once; after that one request at a time probes the server and every other still fails
        at once, until a probe is answered (even with an error: the server is there). So a
        frozen server costs a request at most one request timeout, holds at most one thread
        of a process after the first timeout, and the service recovers by itself.
        """
        outermost = self._gate(doing)
        try:
            yield
            if outermost and self._local.probing:
                self._down_until = 0.0  # the probe got through: the server is back
        except ConnectionTimeout as exc:
            self._down_until = time.monotonic() + BREAKER_S
            raise StoreUnavailable(
                f"Elasticsearch at {self.url} did not answer in time ({doing})"
            ) from exc
        except _TransportError as exc:  # connection refused, reset, ...
            raise StoreUnavailable(
                f"Elasticsearch at {self.url} is unreachable ({doing}): {type(exc).__name__}"
            ) from exc
        except ApiError as exc:
            if outermost and self._local.probing:
                self._down_until = 0.0  # an answer, if only a refusal: the server is back
            if exc.meta.headers.get("x-elastic-product") != "Elasticsearch":
                raise StoreUnavailable(
                    f"{self.url} does not answer as Elasticsearch ({doing}): HTTP {exc.status_code}"
                ) from exc
            if exc.status_code in (408, 429) or exc.status_code >= 500:
                raise StoreUnavailable(
                    f"Elasticsearch at {self.url} cannot {doing} right now "
                    f"(HTTP {exc.status_code}: {str(exc.error)[:120]})"
                ) from exc
            if exc.status_code in (401, 403):
                raise StoreUnavailable(
                    f"Elasticsearch at {self.url} refused our credentials ({doing}): "
                    f"HTTP {exc.status_code}"
                ) from exc
            if _index_missing(exc):
                self._ready.clear()  # deleted behind our back: recreate on the next call
                raise StoreUnavailable(
                    f"an index of {self.prefix} disappeared while trying to {doing}; retry"
                ) from exc
            raise
        finally:
            self._ungate()

    def _gate(self, doing: str) -> bool:
        """Let a call through unless the breaker is tripped (then only one probe at a time, and
        none for ``BREAKER_S``); True for the outermost call of this thread (nested calls share
        their caller's pass)."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            return False
        probing = False
        if self._down_until:  # tripped: nothing was answered since a request timed out
            if time.monotonic() < self._down_until or not self._probe.acquire(blocking=False):
                raise StoreUnavailable(
                    f"Elasticsearch at {self.url} timed out and has not answered since "
                    f"({doing}); not waiting on it again yet"
                )
            probing = True
        self._local.depth, self._local.probing = 1, probing
        return True

    def _ungate(self) -> None:
        self._local.depth -= 1
        if self._local.depth == 0 and self._local.probing:
            self._local.probing = False
            self._probe.release()

    def _ensure(self, collection: str) -> None:
        """Create a collection's versioned index with its alias once; safe when processes race."""
        if collection in self._ready:
            return
        with self._ready_lock, self._errors(f"create the {collection} index"):
            if collection in self._ready:
                return
            alias = mapping.alias_name(self.prefix, collection)
            if self._client.indices.exists_alias(name=alias):
                # Fields added since the index was made (compatible additions only; an
                # incompatible change bumps MAPPING_VERSION instead). A key not allowed to
                # change mappings leaves it to `storyrecords reindex`.
                try:
                    self._client.indices.put_mapping(
                        index=alias, properties=mapping.COLLECTIONS[collection]["properties"]
                    )
                    if collection == "locks":  # a dynamic setting: older indices get it too
                        self._client.indices.put_settings(
                            index=alias, settings=mapping.LOCK_SETTINGS
                        )
                except ApiError as exc:
                    if exc.meta.status not in (401, 403):
                        raise
            else:
                physical = mapping.index_name(self.prefix, collection)
                try:
                    # Answers once the primary shard is active (wait_for_active_shards=1).
                    self._client.indices.create(
                        index=physical, aliases={alias: {}}, **mapping.index_body(collection)
                    )
                    self._ready.add(collection)
                    return
                except BadRequestError as exc:
                    if exc.error != "resource_already_exists_exception":
                        raise
                    # Another process won the race; the alias came with its index, but make
                    # sure in case the alias alone was removed by hand.
                    self._client.indices.put_alias(index=physical, name=alias)
            # The alias is visible before the shard can serve (another process may have
            # created it a moment ago), and a new index reports yellow even then: wait for
            # its one primary shard to be active. Not ready in time is HTTP 408: unavailable.
            self._client.cluster.health(
                index=alias, wait_for_active_shards="1", timeout=_SHARD_WAIT
            )
            self._ready.add(collection)

    def _run(self, collection: str, doing: str, call: Callable[[], T]) -> T:
        """Run one request against a collection, making its index first (again if deleted)."""
        self._ensure(collection)
        with self._errors(doing):
            try:
                return call()
            except NotFoundError as exc:
                if not _index_missing(exc):
                    raise
                self._ready.discard(collection)
            self._ensure(collection)
            return call()

    def _search_body(self, collection: str, doing: str, body: dict[str, Any]) -> dict[str, Any]:
        alias = mapping.alias_name(self.prefix, collection)
        response = self._run(collection, doing, lambda: self._client.search(index=alias, **body))
        return dict(response.body)

    def _scan(
        self,
        collection: str,
        body: dict[str, Any],
        sort: list[Any],
        fields: Sequence[str] = ("doc",),
    ) -> Iterator[Any]:
        """The ``_source`` (``fields`` only) of every hit in ``sort`` order, by search_after."""
        for hit in self._scan_hits(collection, body, sort, fields):
            yield hit["_source"]

    def _scan_hits(
        self,
        collection: str,
        body: dict[str, Any],
        sort: list[Any],
        fields: Sequence[str] | None = ("doc",),
    ) -> Iterator[dict[str, Any]]:
        """Every hit (``_source`` limited to ``fields``; all of it for None), by search_after."""
        after: list[Any] | None = None
        while True:
            page: dict[str, Any] = {**body, "sort": sort, "size": 500, "seq_no_primary_term": True}
            if fields is not None:
                page["source_includes"] = list(fields)
            if after is not None:
                page["search_after"] = after
            hits = self._search_body(collection, "list records", page)["hits"]["hits"]
            yield from hits
            if len(hits) < 500:
                return
            after = hits[-1]["sort"]

    # -- Store: articles --------------------------------------------------------------------

    def ping(self) -> None:
        with self._errors("report its health"):
            health = self._client.cluster.health().body
        if health.get("status") == "red":
            raise StoreUnavailable(f"Elasticsearch at {self.url} is red (missing primary shards)")
        self._ensure("articles")

    def put_article(self, article: Article) -> PutResult:
        document = es_compile.article_document(article)
        for _ in range(_PUT_ATTEMPTS):
            try:
                self._run(
                    "articles",
                    "store an article",
                    lambda: self._client.index(
                        index=self.alias,
                        id=article.id,
                        document=document,
                        op_type="create",  # never overwrite: the server decides who was first
                        require_alias=True,  # never auto-create an index under the alias name
                    ),
                )
                return PutResult.CREATED
            except ConflictError:
                pass
            try:
                stored = self._get("articles", article.id, ["doc.content_hash"])
            except NotFound:
                continue  # deleted between our create and our read: try to create again
            if stored["_source"]["doc"]["content_hash"] == article.content_hash:
                return PutResult.UNCHANGED
            raise article_taken(article.id)
        raise StoreUnavailable(f"article {article.id} keeps changing under concurrent writes")

    def put_articles(self, articles: Sequence[Article]) -> list[PutResult | Conflict]:
        """One ``_bulk`` request of ``create`` actions; ids already taken are then read back."""
        if not articles:
            return []
        operations: list[dict[str, Any]] = []
        for article in articles:
            operations.append({"create": {"_index": self.alias, "_id": article.id}})
            operations.append(es_compile.article_document(article))
        response = self._run(
            "articles", "store articles",
            lambda: self._client.bulk(operations=operations, require_alias=True),
        )
        results: list[PutResult | Conflict] = []
        for article, item in zip(articles, response["items"], strict=True):
            status = int(item["create"]["status"])
            if status in (200, 201):
                results.append(PutResult.CREATED)
            elif status == 409:
                try:
                    results.append(self.put_article(article))  # same content, or a clash
                except Conflict as exc:
                    results.append(exc)
            else:
                raise StoreUnavailable(
                    f"Elasticsearch at {self.url} did not store article {article.id}: "
                    f"HTTP {status}"
                )
        return results

    def _get(self, collection: str, record_id: str, fields: list[str]) -> dict[str, Any]:
        """The stored document (with seq_no and primary_term for compare-and-set)."""
        if not record_id:
            raise NotFound(f"no {collection[:-1]} with an empty id")
        alias = mapping.alias_name(self.prefix, collection)
        try:
            response = self._run(
                collection,
                f"read {collection}",
                lambda: self._client.get(index=alias, id=record_id, source_includes=fields),
            )
        except NotFoundError as exc:
            raise NotFound(f"no {collection[:-1]} with id {record_id}") from exc
        return dict(response.body)

    def get_article(self, article_id: str) -> Article:
        return Article.from_dict(self._get("articles", article_id, ["doc"])["_source"]["doc"])

    def get_article_versioned(self, article_id: str) -> tuple[Article, str]:
        found = self._get("articles", article_id, ["doc"])
        return Article.from_dict(found["_source"]["doc"]), _version(found)

    def get_articles(self, article_ids: Sequence[str]) -> list[Article]:
        wanted = list(dict.fromkeys(i for i in article_ids if i))
        found: dict[str, Article] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            response = self._run(
                "articles",
                "read articles",
                lambda chunk=chunk: self._client.mget(  # type: ignore[misc]
                    index=self.alias, ids=chunk, source_includes=["doc"]
                ),
            )
            for doc in response["docs"]:
                if doc.get("found"):
                    found[doc["_id"]] = Article.from_dict(doc["_source"]["doc"])
        return [found[i] for i in wanted if i in found]

    def refresh(self) -> None:
        for collection in GENERATION:
            self._ensure(collection)
        with self._errors("refresh the indices"):
            self._client.indices.refresh(
                index=",".join(mapping.alias_name(self.prefix, c) for c in GENERATION)
            )

    def delete_article(self, article_id: str, *, version: str | None = None) -> None:
        if not article_id:
            raise NotFound("no article with an empty id")
        cas = _cas(version) if version is not None else {}
        try:
            self._run(
                "articles",
                "delete an article",
                lambda: self._client.delete(
                    index=self.alias, id=article_id, refresh=_DELETE_REFRESH, **cas
                ),
            )
        except NotFoundError as exc:
            raise NotFound(f"no article with id {article_id}") from exc
        except ConflictError as exc:
            raise changed_since("article", article_id, version) from exc

    def count_articles(self) -> int:
        """Counted after a refresh: every acknowledged article, not only the searchable ones."""
        self.refresh()
        response = self._run(
            "articles", "count articles", lambda: self._client.count(index=self.alias)
        )
        return int(response["count"])

    def iter_articles(self) -> Iterator[Article]:
        self.refresh()  # every acknowledged article, searchable yet or not
        sort = [{"indexed_us": "asc"}, {"id": "asc"}]
        for source in self._scan("articles", {"query": {"match_all": {}}}, sort):
            yield Article.from_dict(source["doc"])

    def search_articles(self, query: SearchQuery) -> SearchPage:
        return self._search("articles", query, _article_scope(query), Article.from_dict)

    def search_articles_many(self, queries: Sequence[SearchQuery]) -> list[SearchPage]:
        """One ``_msearch`` for many article searches (a batch's duplicate lookups)."""
        if not queries:
            return []
        compiled = [self._search_request(q, _article_scope(q), Article.from_dict)
                    for q in queries]
        searches: list[dict[str, Any]] = []
        for request, _, _ in compiled:
            body = dict(request)
            body["_source"] = body.pop("source_includes")
            searches += [{"index": self.alias}, body]
        response = self._run("articles", "search",
                             lambda: self._client.msearch(searches=searches))
        pages = []
        for query, (_, plan, decode), answer in zip(queries, compiled, response["responses"],
                                                    strict=True):
            if "error" in answer:
                raise StoreUnavailable(
                    f"Elasticsearch at {self.url} could not search the articles: "
                    f"{str(answer['error'])[:120]}"
                )
            pages.append(self._page(answer, plan, query, decode))
        return pages

    def _search_request(
        self, query: SearchQuery, scope: list[dict[str, Any]], decode: Callable[[Any], Any]
    ) -> tuple[dict[str, Any], PagePlan, Callable[[Any], Any]]:
        """The compiled request of one page, its plan, and how its hits are decoded."""
        plan = plan_page(query, has_text=bool(query.terms()))
        wanted = hit_fields(query)
        source = ("doc",) if wanted is None else tuple(f"doc.{name}" for name in wanted)
        if wanted is not None:
            decode = partial(wanted)
        return es_compile.search_request(query, plan, scope, source), plan, decode

    def _search(
        self,
        collection: str,
        query: SearchQuery,
        scope: list[dict[str, Any]],
        decode: Callable[[Any], Any],
    ) -> SearchPage:
        """One page of records of a collection: the search both articles and events share."""
        request, plan, decode = self._search_request(query, scope, decode)
        try:
            body = self._search_body(collection, "search", request)
        except BadRequestError as exc:
            if query.cursor is None:
                raise
            raise InvalidQuery("cursor does not fit this search; drop it to start again") from exc
        return self._page(body, plan, query, decode)

    @staticmethod
    def _page(
        body: dict[str, Any], plan: PagePlan, query: SearchQuery, decode: Callable[[Any], Any]
    ) -> SearchPage:
        rows = [
            Row(key=hit["sort"][0], id=hit["sort"][1], doc=hit["_source"]["doc"])
            for hit in body["hits"]["hits"]
        ]
        facets = {
            f: es_compile.buckets(body["aggregations"][f], query.facet_size) for f in query.facets
        }
        total = int(body["hits"]["total"]["value"])
        return cut_page(rows, plan, query, total=total, facets=facets, decode=decode)

    # -- Store: events ----------------------------------------------------------------------

    def assignment_lock(self) -> AbstractContextManager[None]:
        """A lease document every process must create before going on (see es_lock)."""
        return self._lease.hold()

    def candidate_events(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        body = es_compile.candidates_request(terms, limit)
        if body is None:
            return []
        hits = self._search_body("events", "find candidate events", body)["hits"]["hits"]
        return [_candidate(hit) for hit in hits]

    def candidate_events_many(
        self, terms: Sequence[Sequence[str]], limit: int
    ) -> list[list[Candidate]]:
        """One ``_msearch`` for a batch's candidate lookups."""
        requests = [es_compile.candidates_request(each, limit) for each in terms]
        searches: list[dict[str, Any]] = []
        for request in requests:
            if request is not None:
                body = dict(request)
                body["_source"] = body.pop("source_includes")
                searches += [{"index": self.events_alias}, body]
        if not searches:
            return [[] for _ in terms]
        response = self._run("events", "find candidate events",
                             lambda: self._client.msearch(searches=searches))
        answers = iter(response["responses"])
        found: list[list[Candidate]] = []
        for request in requests:
            if request is None:
                found.append([])
                continue
            answer = next(answers)
            if "error" in answer:
                raise StoreUnavailable(
                    f"Elasticsearch at {self.url} could not find candidate events: "
                    f"{str(answer['error'])[:120]}"
                )
            found.append([_candidate(hit) for hit in answer["hits"]["hits"]])
        return found

    def write_batch(self, writes: Sequence[RecordWrite]) -> list[Conflict | None]:
        """One ``_bulk`` request; a created event or story is listed as founded after it."""
        if not writes:
            return []
        operations: list[dict[str, Any]] = []
        for write in writes:
            operations += self._bulk_action(write)
        deleting = any(w.action == "delete" for w in writes)
        collections = {w.collection for w in writes}
        for collection in collections:
            self._ensure(collection)
        response = self._run(
            next(iter(collections)), "store a batch",
            lambda: self._client.bulk(operations=operations, require_alias=True,
                                      refresh=_DELETE_REFRESH if deleting else None),
        )
        results: list[Conflict | None] = []
        founded: dict[str, list[tuple[str, int]]] = {}
        failed: Exception | None = None  # raised once the records written are listed
        # Listed as founded when written, not when founded in memory (a batch's first_seen
        # can be seconds before its flush): a search begun since may not see them yet.
        written_us = time.time_ns() // 1000
        for write, item in zip(writes, response["items"], strict=True):
            (outcome,) = item.values()
            status = int(outcome["status"])
            error = outcome.get("error") or {}
            kind = error.get("type") if isinstance(error, dict) else None
            reason = error.get("reason", "") if isinstance(error, dict) else error
            if status in (200, 201):
                results.append(None)
                if write.action == "create" and write.collection != "articles":
                    first_seen = getattr(write.record, "first_seen", None) or now_iso()
                    founded.setdefault(write.collection, []).append(
                        (write.record_id, max(iso_to_us(first_seen), written_us)))
                continue
            results.append(changed_since(write.collection[:-1], write.record_id, write.version))
            if status == 409 or (status == 404 and kind != "index_not_found_exception"):
                continue  # a record that changed, or went, since it was read: a lost race
            what = f"{write.collection[:-1]} {write.record_id}: HTTP {status} {kind or ''}"
            if status == 404:  # the index is gone: made again by the next call
                self._ready.discard(write.collection)
            if (status in (401, 403, 404, 408, 429) or status >= 500
                    or kind == "index_closed_exception"):  # as _errors says of one write
                failed = failed or StoreUnavailable(
                    f"Elasticsearch at {self.url} cannot store {what} right now")
            elif not isinstance(failed, RefusedWrite):
                # Refused for what it holds (a mapping error): the same every time, so not
                # an outage to wait out; a bug, as the single-record write raises.
                failed = RefusedWrite(f"Elasticsearch at {self.url} refused {what}: "
                                      f"{str(reason)[:200]}")
        for listed, records in founded.items():
            self._note_founded(listed, records)
        if failed is not None:
            raise failed
        return results

    def _bulk_action(self, write: RecordWrite) -> list[dict[str, Any]]:
        """The ``_bulk`` lines of one write (compare-and-set as its single-record method)."""
        alias = mapping.alias_name(self.prefix, write.collection)
        head: dict[str, Any] = {"_index": alias, "_id": write.record_id}
        if write.version is not None:
            head.update(_cas(write.version))
        record = write.record
        if write.action == "membership":
            return [{"update": head}, {
                "doc": {"event_id": write.event_id, "doc": {"event_id": write.event_id}},
                "detect_noop": False,
            }]
        if write.action == "delete":
            return [{"delete": head}]
        if write.action == "retire":
            return [{"index": head}, {"id": write.record_id, "redirect_to": write.into}]
        if isinstance(record, Article):
            document = es_compile.article_document(record)
        elif isinstance(record, Event):
            document = es_compile.event_document(record, write.text)
        elif isinstance(record, Story):
            document = es_compile.story_document(record, write.text)
        else:
            raise ValueError(f"a {write.action} of {write.record_id} needs its record")
        return [{"create" if write.action == "create" else "index": head}, document]

    # Events and stories are the same kind of record (a versioned document that can become a
    # redirect); one implementation serves both collections.

    def get_event(self, event_id: str) -> tuple[Event, str]:
        doc, version = self._get_record("events", event_id)
        return Event.from_dict(doc), version

    def _get_record(self, collection: str, record_id: str) -> tuple[dict[str, Any], str]:
        found = self._get(collection, record_id, ["doc", "redirect_to"])
        source = found["_source"]
        if source.get("redirect_to"):
            raise Moved(record_id, self._final(collection, source["redirect_to"]))
        return source["doc"], _version(found)

    def _final(self, collection: str, record_id: str) -> str:
        def redirect_of(current: str) -> str | None:
            try:
                target = self._get(collection, current, ["redirect_to"])["_source"]
            except NotFound:
                return None
            return target.get("redirect_to") or None

        return final_target(record_id, redirect_of)

    def put_event(self, event: Event, *, version: str | None, text: str) -> str:
        """Create, or compare-and-set on the version read (a retired event's version moved).

        A new event is listed as founded (see ``_FOUNDED_IDS``) instead of refreshed into view.
        """
        return self._put_record(
            "events", event.id, es_compile.event_document(event, text), version,
            founded_at=event.first_seen,
        )

    def _note_founded(self, collection: str, records: Sequence[tuple[str, int]]) -> None:
        """Add (id, founded µs) records to their recent-foundings document (compare-and-set;
        pruned to a minute).

        Foundings happen under the assignment lock, so writers rarely race here; if they keep
        doing so, the records are refreshed into view instead, as before these lists existed.
        """
        list_id = _FOUNDED_IDS[collection]
        adding = {record_id for record_id, _ in records}
        for _ in range(_PUT_ATTEMPTS):
            try:
                found = self._get("locks", list_id, ["records"])
                listed = list(found["_source"].get("records") or [])
                cas: dict[str, Any] = _cas(_version(found))
            except NotFound:
                listed, cas = [], {"op_type": "create"}
            horizon = time.time_ns() // 1000 - FOUNDED_KEEP_US
            kept = [e for e in listed if e.get("us", 0) >= horizon and e.get("id") not in adding]
            fresh = [{"id": record_id, "us": us} for record_id, us in records]
            document = {"records": [*kept, *fresh]}
            try:
                self._run(
                    "locks", "list a founded record",
                    lambda document=document, cas=cas: self._client.index(  # type: ignore[misc]
                        index=self.locks_alias, id=list_id, document=document,
                        require_alias=True, **cas,
                    ),
                )
                return
            except ConflictError:
                continue
        with self._errors(f"refresh the {collection}"):
            self._client.indices.refresh(index=mapping.alias_name(self.prefix, collection))

    def _put_record(
        self, collection: str, record_id: str, document: dict[str, Any], version: str | None,
        *, founded_at: str,
    ) -> str:
        """Compare-and-set, or create and list as founded (``_FOUNDED_IDS``), not refreshed."""
        extra: dict[str, Any] = _cas(version) if version is not None else {"op_type": "create"}
        alias = mapping.alias_name(self.prefix, collection)
        try:
            written = self._run(
                collection,
                f"store {collection}",
                lambda: self._client.index(
                    index=alias, id=record_id, document=document, require_alias=True, **extra,
                ),
            )
        except ConflictError as exc:
            raise changed_since(collection[:-1], record_id, version) from exc
        if version is None:
            self._note_founded(collection, [(record_id, iso_to_us(founded_at))])
        return _version(written)

    def retire_event(self, event_id: str, into: str, *, version: str) -> None:
        self._retire("events", event_id, into, version)

    def _retire(self, collection: str, record_id: str, into: str, version: str) -> None:
        alias = mapping.alias_name(self.prefix, collection)
        document = {"id": record_id, "redirect_to": into}
        try:
            self._run(
                collection,
                f"retire {collection}",
                lambda: self._client.index(
                    index=alias, id=record_id, document=document,
                    require_alias=True, **_cas(version),
                ),
            )
        except ConflictError as exc:
            raise changed_since(collection[:-1], record_id, version) from exc

    def add_redirect(self, event_id: str, into: str) -> None:
        document = {"id": event_id, "redirect_to": into}
        try:
            current = self._get("events", event_id, ["redirect_to"])
        except NotFound:
            current = None
        if current is not None and not current["_source"].get("redirect_to"):
            return  # a live event keeps its id
        cas: dict[str, Any] = (
            {"op_type": "create"}
            if current is None
            else {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
        )
        try:
            self._run(
                "events",
                "add a redirect",
                lambda: self._client.index(
                    index=self.events_alias,
                    id=event_id,
                    document=document,
                    require_alias=True,
                    **cas,
                ),
            )
        except ConflictError as exc:
            raise Conflict(f"event {event_id} changed while adding a redirect") from exc

    def redirects(self) -> dict[str, str]:
        return self._redirects("events")

    def _redirects(self, collection: str) -> dict[str, str]:
        self.refresh()  # every redirect written, searchable yet or not
        body = {"query": {"exists": {"field": "redirect_to"}}}
        sources = self._scan(collection, body, [{"id": "asc"}], fields=("id", "redirect_to"))
        return {source["id"]: source["redirect_to"] for source in sources}

    def delete_event(self, event_id: str, *, version: str) -> None:
        self._delete_record("events", event_id, version)

    def _delete_record(self, collection: str, record_id: str, version: str) -> None:
        alias = mapping.alias_name(self.prefix, collection)
        try:
            self._run(
                collection,
                f"delete {collection}",
                lambda: self._client.delete(
                    index=alias, id=record_id, refresh=_DELETE_REFRESH, **_cas(version),
                ),
            )
        except (ConflictError, NotFoundError) as exc:
            raise changed_since(collection[:-1], record_id, version) from exc

    # -- stories ----------------------------------------------------------------------------

    def get_story(self, story_id: str) -> tuple[Story, str]:
        doc, version = self._get_record("stories", story_id)
        return Story.from_dict(doc), version

    def put_story(self, story: Story, *, version: str | None, text: str) -> str:
        return self._put_record(
            "stories", story.id, es_compile.story_document(story, text), version,
            founded_at=story.first_seen,
        )

    def retire_story(self, story_id: str, into: str, *, version: str) -> None:
        self._retire("stories", story_id, into, version)

    def delete_story(self, story_id: str, *, version: str) -> None:
        self._delete_record("stories", story_id, version)

    def candidate_stories(self, terms: Sequence[str], limit: int) -> list[Candidate]:
        body = es_compile.candidates_request(terms, limit)
        if body is None:
            return []
        hits = self._search_body("stories", "find candidate stories", body)["hits"]["hits"]
        return [_candidate(hit) for hit in hits]

    def stories_founded_since(self, since_us: int) -> list[Candidate]:
        return self._founded_since("stories", since_us)

    def events_of_story(self, story_id: str) -> list[Event]:
        self.refresh()
        body = {"query": {"bool": {
            "filter": [{"term": {"story_id": story_id}}],
            "must_not": [{"exists": {"field": "redirect_to"}}],
        }}}
        sort = [{"indexed_us": "asc"}, {"id": "asc"}]
        return [Event.from_dict(source["doc"]) for source in self._scan("events", body, sort)]

    def search_stories(self, query: SearchQuery) -> SearchPage:
        live = [{"bool": {"must_not": [{"exists": {"field": "redirect_to"}}]}}]
        return self._search("stories", query, live, Story.from_dict)

    def iter_stories(self) -> Iterator[tuple[Story, str]]:
        self.refresh()
        body = {"query": {"bool": {"must_not": [{"exists": {"field": "redirect_to"}}]}}}
        for hit in self._scan_hits("stories", body, [{"id": "asc"}]):
            yield Story.from_dict(hit["_source"]["doc"]), _version(hit)

    def story_redirects(self) -> dict[str, str]:
        return self._redirects("stories")

    def set_article_event(self, article_id: str, event_id: str | None, *, version: str) -> str:
        if not article_id:
            raise NotFound("no article with an empty id")
        try:
            updated = self._run(
                "articles",
                "set an article's event",
                # A partial-document update merges these fields: no script needed. Conditional
                # on the version read: this is the one record of membership.
                lambda: self._client.update(
                    index=self.alias,
                    id=article_id,
                    doc={"event_id": event_id, "doc": {"event_id": event_id}},
                    detect_noop=False,  # every write moves the version, as on SQLite
                    **_cas(version),
                ),
            )
        except NotFoundError as exc:
            raise NotFound(f"no article with id {article_id}") from exc
        except ConflictError as exc:
            raise changed_since("article", article_id, version) from exc
        return f"{updated['_seq_no']}:{updated['_primary_term']}"

    def events_founded_since(self, since_us: int) -> list[Candidate]:
        return self._founded_since("events", since_us)

    def _founded_since(self, collection: str, since_us: int) -> list[Candidate]:
        """From the recent-foundings document and a real-time read of the records it lists:
        a record founded a moment ago need not be searchable yet."""
        try:
            found = self._get("locks", _FOUNDED_IDS[collection], ["records"])
        except NotFound:
            return []
        listed = found["_source"].get("records") or []
        recent = sorted((e["us"], e["id"]) for e in listed if e.get("us", 0) >= since_us)
        if not recent:
            return []
        alias = mapping.alias_name(self.prefix, collection)
        response = self._run(
            collection, f"read new {collection}",
            lambda: self._client.mget(
                index=alias, ids=[i for _, i in recent],
                source_includes=[*es_compile.CANDIDATE_FIELDS, "redirect_to"],
            ),
        )
        return [_candidate(doc) for doc in response["docs"]
                if doc.get("found") and not doc["_source"].get("redirect_to")
                and doc["_source"].get("doc")]

    def iter_events(self) -> Iterator[tuple[Event, str]]:
        self.refresh()
        body = {"query": {"bool": {"must_not": [{"exists": {"field": "redirect_to"}}]}}}
        for hit in self._scan_hits("events", body, [{"id": "asc"}]):
            yield Event.from_dict(hit["_source"]["doc"]), _version(hit)

    def delete_redirect(self, event_id: str) -> None:
        try:
            current = self._get("events", event_id, ["redirect_to"])
        except NotFound:
            return
        if not current["_source"].get("redirect_to"):
            return
        try:
            self._run(
                "events",
                "delete a redirect",
                lambda: self._client.delete(
                    index=self.events_alias, id=event_id,
                    if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"],
                ),
            )
        except (ConflictError, NotFoundError) as exc:
            raise Conflict(f"redirect {event_id} changed while deleting it") from exc

    # -- checks -----------------------------------------------------------------------------

    def search_document_problems(self) -> Iterator[tuple[str, str, str]]:
        """Each search document against the one compiled from its own record.

        The record is the search document here, so after a refresh no acknowledged record can
        be missing from the index; what can drift is the indexed copy of its fields.
        """
        self.refresh()
        every: dict[str, Any] = {"query": {"match_all": {}}}
        for hit in self._scan_hits("articles", every, [{"id": "asc"}], fields=None):
            source = hit["_source"]
            expected = es_compile.article_document(Article.from_dict(source["doc"]))
            drift = sorted(k for k, v in expected.items() if k != "doc" and source.get(k) != v)
            if drift:
                yield "articles", hit["_id"], f"indexed fields differ: {', '.join(drift)}"
        live = {"query": {"bool": {"must_not": [{"exists": {"field": "redirect_to"}}]}}}
        for hit in self._scan_hits("events", live, [{"id": "asc"}], fields=None):
            source = hit["_source"]
            expected = es_compile.event_document(Event.from_dict(source["doc"]), "")
            drift = sorted(
                k for k, v in expected.items() if k not in ("doc", "text") and source.get(k) != v
            )
            if drift:
                yield "events", hit["_id"], f"indexed fields differ: {', '.join(drift)}"

    def repair_search_document(self, collection: str, record_id: str) -> None:
        if collection == "events":
            event, version = self.get_event(record_id)
            self.put_event(event, version=version,
                           text=event_text(self.get_articles(event.articles)))
            return
        found = self._get("articles", record_id, ["doc"])
        document = es_compile.article_document(Article.from_dict(found["_source"]["doc"]))
        try:
            self._run(
                "articles",
                "rewrite a search document",
                lambda: self._client.index(
                    index=self.alias, id=record_id, document=document, require_alias=True,
                    if_seq_no=found["_seq_no"], if_primary_term=found["_primary_term"],
                ),
            )
        except ConflictError as exc:
            raise Conflict(f"article {record_id} changed while repairing it") from exc

    def articles_of_event(self, event_id: str) -> list[Article]:
        self.refresh()  # the truth, not the last refresh's view of it
        body = {"query": {"bool": {"filter": [{"term": {"event_id": event_id}}]}}}
        sort = [{"indexed_us": "asc"}, {"id": "asc"}]
        return [Article.from_dict(source["doc"]) for source in self._scan("articles", body, sort)]

    def search_events(self, query: SearchQuery) -> SearchPage:
        live = [{"bool": {"must_not": [{"exists": {"field": "redirect_to"}}]}}]
        return self._search("events", query, live, Event.from_dict)

    # -- rebuilds -------------------------------------------------------------------------

    def rebuild_lock(self) -> AbstractContextManager[None]:
        """A lease of its own: a second rebuild learns within one lease that one is running."""
        return self._rebuild_lease.hold()

    def begin_rebuild(self) -> ElasticsearchStore:
        """A store under a stamped prefix; its indices become the live ones on activation."""
        stamp = now_iso().lower().replace(":", "").replace("-", "").replace(".", "")
        rebuilt = ElasticsearchStore(index=f"{self.prefix}-rebuild-{stamp}", **self._connect)
        with self._errors("read the live indices"):
            for collection in GENERATION:
                self._ensure(collection)
                live = mapping.alias_name(self.prefix, collection)
                rebuilt._base[collection] = list(self._client.indices.get_alias(name=live).body)
        return rebuilt

    def activate(self, rebuilt: Store) -> ElasticsearchStore:
        """Swap every alias to the rebuilt indices in one atomic ``_aliases`` request.

        The retired indices keep a stamped alias so the caller can catch up from them.
        """
        if not isinstance(rebuilt, ElasticsearchStore):
            raise ValueError("can only activate an Elasticsearch rebuild")
        retired_prefix = rebuilt.prefix.replace("-rebuild-", "-retired-", 1)
        actions: list[dict[str, Any]] = []
        with self._errors("swap the aliases to the rebuilt indices"):
            for collection in GENERATION:
                self._ensure(collection)
                rebuilt._ensure(collection)
                live = mapping.alias_name(self.prefix, collection)
                new_alias = mapping.alias_name(rebuilt.prefix, collection)
                old_indices = rebuilt._base.get(collection) or list(
                    self._client.indices.get_alias(name=live).body
                )
                (new_index,) = list(self._client.indices.get_alias(name=new_alias).body)
                retired_alias = mapping.alias_name(retired_prefix, collection)
                for old in old_indices:
                    # must_exist makes the swap compare-and-set: if another rebuild moved the
                    # alias since this one began, the whole request fails and nothing changes.
                    actions.append({"remove": {"index": old, "alias": live, "must_exist": True}})
                    actions.append({"add": {"index": old, "alias": retired_alias}})
                actions.append({"add": {"index": new_index, "alias": live}})
                actions.append({"remove": {"index": new_index, "alias": new_alias}})
            try:
                self._client.indices.update_aliases(actions=actions)
            except NotFoundError as exc:
                raise Conflict(
                    "the live indices changed during the rebuild (another rebuild switched "
                    "first); not switching"
                ) from exc
            self._client.indices.delete(
                index=mapping.index_name(rebuilt.prefix, "locks"), ignore_unavailable=True
            )
        rebuilt.close()
        return ElasticsearchStore(index=retired_prefix, **self._connect)

    def drop(self) -> None:
        """Delete the indices behind this store's aliases (refused for live ones)."""
        if "-retired-" not in self.prefix and "-rebuild-" not in self.prefix:
            raise ValueError(f"{self.prefix} is not a retired store; refusing to drop it")
        with self._errors("drop retired indices"):
            for collection in (*GENERATION, "locks"):
                alias = mapping.alias_name(self.prefix, collection)
                if self._client.indices.exists_alias(name=alias):
                    for index in self._client.indices.get_alias(name=alias).body:
                        self._client.indices.delete(index=index)
        self.close()

    def keys(self) -> ElasticsearchKeyRing:
        """Keys live in ``{prefix}-keys``, an index no rebuild swaps or drops."""
        return ElasticsearchKeyRing(self._client, f"{self.prefix}-keys", self._errors)

    def jobs(self) -> ElasticsearchJobStore:
        """Bulk jobs live in ``{prefix}-jobs``, an index no rebuild swaps or drops."""
        return ElasticsearchJobStore(self._client, f"{self.prefix}-jobs", self._errors)

    def close(self) -> None:
        self._client.close()


def _article_scope(query: SearchQuery) -> list[dict[str, Any]]:
    """What only article searches filter on: one event's articles, or no copies."""
    scope: list[dict[str, Any]] = []
    if query.event_id is not None:
        scope.append({"term": {"event_id": query.event_id}})
    if query.duplicates == "exclude":
        scope.append({"bool": {"must_not": [{"exists": {"field": "duplicate_of"}}]}})
    return scope


def _candidate(hit: dict[str, Any]) -> Candidate:
    doc = hit["_source"]["doc"]
    return Candidate(id=doc["id"], signature=doc.get("signature"), first_seen=doc["first_seen"])


def _version(found: Any) -> str:
    """A document's version for compare-and-set: its sequence number and primary term."""
    return f"{found['_seq_no']}:{found['_primary_term']}"


def _cas(version: str) -> dict[str, Any]:
    """The request parameters that make a write conditional on ``version``."""
    seq_no, _, term = version.partition(":")
    try:
        return {"if_seq_no": int(seq_no), "if_primary_term": int(term)}
    except ValueError as exc:
        raise Conflict(f"not a version of this store: {version!r}") from exc


def _index_missing(exc: ApiError) -> bool:
    return exc.status_code == 404 and exc.error == "index_not_found_exception"

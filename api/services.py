"""What the views need — settings, the store, the indexer — built lazily, once per app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from api.auth import KeyCache
from api.config import Settings
from api.cursors import cursor_key, load_secret
from api.jobs.worker import JobWorker
from indexer import ingest
from indexer.ingest import Extractor, Indexer
from indexer.store.base import Store
from indexer.store.factory import open_store


@dataclass
class Services:
    """Per-app singletons; the store is opened on first use so app creation never connects."""

    settings: Settings
    store_factory: Callable[[], Store]
    extractor: tuple[Extractor, str] | None = None
    _store: Store | None = None
    _indexer: Indexer | None = None
    _keys: KeyCache | None = None
    _cursor_key: bytes | None = None
    _job_worker: JobWorker | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = self.store_factory()
            return self._store

    def indexer(self) -> Indexer:
        store = self.store()
        with self._lock:
            if self._indexer is None:
                extract, version = self.extractor or ingest.default_extractor()
                self._indexer = Indexer(store, extract, version)
            return self._indexer

    def keys(self) -> KeyCache:
        """This worker's cache of key lookups, over the store's key ring."""
        with self._lock:
            if self._keys is None:
                self._keys = KeyCache(lambda: self.store().keys())
            return self._keys

    def cursor_key(self) -> bytes:
        """The key cursors are signed with (read or made on first use, never at app creation)."""
        with self._lock:
            if self._cursor_key is None:
                secret = load_secret(self.settings.secret_key, self.settings.data_dir)
                self._cursor_key = cursor_key(secret)
            return self._cursor_key

    def job_worker(self) -> JobWorker:
        """This process's bulk-job thread (made on first use; see :meth:`JobWorker.start`)."""
        if self._job_worker is not None:  # every request asks: no lock once it exists
            return self._job_worker
        with self._lock:
            if self._job_worker is None:
                self._job_worker = JobWorker(
                    lambda: self.store().jobs(),
                    self.indexer,
                    self.settings.jobs,
                    enabled=self.settings.job_worker,
                )
            return self._job_worker

    def backend_name(self) -> str:
        return "elasticsearch" if self.settings.elasticsearch_url else "embedded"


def init_app(
    app: Flask,
    settings: Settings,
    store: Store | None = None,
    extractor: tuple[Extractor, str] | None = None,
) -> Services:
    """Attach services to the app; ``store``/``extractor`` let tests inject their own."""

    def factory() -> Store:
        if store is not None:
            return store
        return open_store(settings)

    services = Services(settings=settings, store_factory=factory, extractor=extractor)
    app.extensions["storyrecords"] = services
    return services


def services() -> Services:
    """The current app's services (inside a request or app context)."""
    found: Services = current_app.extensions["storyrecords"]
    return found

"""A lease lock in an Elasticsearch document, shared by every process that assigns events.

The lock only saves wasted work; correctness never depends on it, because every write that
matters is compare-and-set on the record it changes. So a holder that stalls past its lease
can lose the lock without harm: its later writes fail their version checks and are retried.

No clock is compared across machines. The holder renews the lease document every third of
the lease (bumping its ``_seq_no``); a waiter presumes the holder dead only after it has seen
the same ``_seq_no`` for a whole lease on its *own* monotonic clock, then deletes exactly that
version (compare-and-set), so two waiters can never both break one lease, and a live holder's
renewal always beats a waiter's judgement.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from indexer.errors import StoreUnavailable

T = TypeVar("T")
Runner = Callable[[str, Callable[[], T]], T]

log = logging.getLogger(__name__)

LEASE_S = 30.0
WAIT_S = 60.0


class LeaseLock:
    """One named lock document in ``index``; ``run`` wraps each request (index creation, errors)."""

    def __init__(
        self,
        client: Elasticsearch,
        index: str,
        run: Runner[Any],
        *,
        name: str = "event-assignment",
        lease_s: float = LEASE_S,
        wait_s: float = WAIT_S,
    ) -> None:
        self._client = client
        self._index = index
        self._run = run
        self._name = name
        self._lease_s = lease_s
        self._wait_s = wait_s
        self._local = threading.Lock()  # threads of one process queue here, not on the server

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the block, renewing it until the block ends."""
        with self._local:
            owner = uuid.uuid4().hex
            version = self._acquire(owner)
            renewer = _Renewer(self, owner, version)
            renewer.start()
            try:
                yield
            finally:
                renewer.stop()
                self._release(renewer.version)

    # -- the protocol ---------------------------------------------------------------------

    def _acquire(self, owner: str) -> tuple[int, int]:
        deadline = time.monotonic() + self._wait_s
        pause = 0.01
        watched: tuple[tuple[int, int], float] | None = None  # (version seen, since when)
        while True:
            try:
                return self._create(owner)
            except ConflictError:
                watched = self._break_if_dead(watched)
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the {self._name} lock stays taken; retry later")
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _create(self, owner: str) -> tuple[int, int]:
        created = self._run(
            f"take the {self._name} lock",
            lambda: self._client.index(
                index=self._index,
                id=self._name,
                document={"owner": owner, "renewed": 0},
                op_type="create",
                require_alias=True,
            ),
        )
        return int(created["_seq_no"]), int(created["_primary_term"])

    def _break_if_dead(
        self, watched: tuple[tuple[int, int], float] | None
    ) -> tuple[tuple[int, int], float] | None:
        """Delete the lease once the same version has been seen for a whole lease."""
        try:
            current = self._run(
                f"read the {self._name} lock",
                lambda: self._client.get(index=self._index, id=self._name),
            )
        except NotFoundError:
            return None
        version = (int(current["_seq_no"]), int(current["_primary_term"]))
        now = time.monotonic()
        if watched is None or watched[0] != version:
            return (version, now)  # new holder or a renewal: start watching again
        if now - watched[1] < self._lease_s:
            return watched
        log.warning("breaking the %s lock: its holder stopped renewing it", self._name)
        with contextlib.suppress(ConflictError, NotFoundError):  # renewed or broken meanwhile
            self._run(
                f"break the {self._name} lock",
                lambda: self._client.delete(
                    index=self._index, id=self._name,
                    if_seq_no=version[0], if_primary_term=version[1],
                ),
            )
        return None

    def renew(self, owner: str, version: tuple[int, int], count: int) -> tuple[int, int] | None:
        """Bump the lease if we still hold it; None when it was broken (we lost it)."""
        try:
            renewed = self._run(
                f"renew the {self._name} lock",
                lambda: self._client.index(
                    index=self._index,
                    id=self._name,
                    document={"owner": owner, "renewed": count},
                    if_seq_no=version[0],
                    if_primary_term=version[1],
                    require_alias=True,
                ),
            )
        except (ConflictError, NotFoundError):
            log.warning("lost the %s lock (it was broken while held)", self._name)
            return None
        return int(renewed["_seq_no"]), int(renewed["_primary_term"])

    def _release(self, version: tuple[int, int] | None) -> None:
        if version is None:
            return
        with contextlib.suppress(ConflictError, NotFoundError, StoreUnavailable):
            self._run(
                f"release the {self._name} lock",
                lambda: self._client.delete(
                    index=self._index, id=self._name,
                    if_seq_no=version[0], if_primary_term=version[1],
                ),
            )


class _Renewer(threading.Thread):
    """Renews a held lease every third of the lease until stopped or the lease is lost."""

    def __init__(self, lock: LeaseLock, owner: str, version: tuple[int, int]) -> None:
        super().__init__(daemon=True, name=f"lease-{lock._name}")
        self._lock = lock
        self._owner = owner
        self.version: tuple[int, int] | None = version
        self._stopped = threading.Event()
        self._guard = threading.Lock()

    def run(self) -> None:
        count = 0
        while not self._stopped.wait(self._lock._lease_s / 3):
            with self._guard:
                if self._stopped.is_set() or self.version is None:
                    return
                count += 1
                try:
                    self.version = self._lock.renew(self._owner, self.version, count)
                except StoreUnavailable:
                    continue  # try again next round; the lease may still be ours

    def stop(self) -> None:
        self._stopped.set()
        with self._guard:  # wait for an in-flight renewal so release uses its version
            pass

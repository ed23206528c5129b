"""API keys: what a key is, how it is made and checked, and the KeyRing every store keeps them in.

A key reads ``srk_<id>_<secret>``: the prefix makes a leaked key easy to spot (and to scan
for), the id finds its record without touching the secret, and only a SHA-256 digest of the
whole key is stored. The keys are random (256 bits), so a fast digest is enough: there is
nothing to guess, unlike a password. The digest is compared in constant time.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.timefmt import now_iso

#: What a key may do. ``write`` (POST, DELETE, bulk) implies ``read`` (search and get).
SCOPES: tuple[str, ...] = ("read", "write")
IMPLIES: dict[str, tuple[str, ...]] = {"write": ("read",)}

#: How long an API worker may trust a lookup: a revoked key is refused everywhere after this.
CACHE_SECONDS = 3

PREFIX = "srk_"
ID_CHARS = 12  # hex digits of the public id
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_NAME = re.compile(NAME_PATTERN)
_KEY = re.compile(rf"{PREFIX}([0-9a-f]{{{ID_CHARS}}})_([A-Za-z0-9_-]{{43}})")


@dataclass(frozen=True)
class KeyRecord:
    """What a store keeps of a key: never the key itself, only its digest."""

    key_id: str
    name: str
    digest: str
    scopes: tuple[str, ...]
    created_at: str
    last_used_at: str | None = None

    def allows(self, scope: str) -> bool:
        """Whether this key may do what ``scope`` guards."""
        return scope in self.scopes


def expand_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The scopes asked for plus those they imply, in :data:`SCOPES` order; unknown is an error."""
    wanted = set(scopes)
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scope {', '.join(sorted(unknown))}; choose from {SCOPES}")
    if not wanted:
        raise ValueError(f"a key needs at least one scope from {SCOPES}")
    for scope in list(wanted):
        wanted.update(IMPLIES.get(scope, ()))
    return tuple(s for s in SCOPES if s in wanted)


def check_name(name: str) -> str:
    """Names are short labels safe to print anywhere (lists, logs, rate-limit buckets)."""
    if not _NAME.fullmatch(name):
        raise ValueError(
            "a key name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def digest(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id_of(key: str) -> str | None:
    """The public id inside a well-formed key, or None for anything else."""
    found = _KEY.fullmatch(key)
    return found.group(1) if found else None


def new_key(name: str, scopes: Iterable[str]) -> tuple[str, KeyRecord]:
    """A fresh key and the record to store for it (the key itself is shown once, then lost)."""
    key_id = secrets.token_hex(ID_CHARS // 2)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    record = KeyRecord(
        key_id=key_id,
        name=check_name(name),
        digest=digest(key),
        scopes=expand_scopes(scopes),
        created_at=now_iso(),
    )
    return key, record


def matches(record: KeyRecord, key: str) -> bool:
    """Constant-time comparison of a presented key with a stored digest."""
    return hmac.compare_digest(record.digest, digest(key))


class KeyRing(abc.ABC):
    """Where a store keeps its keys, outside the generations a reindex replaces.

    Backends raise :class:`~indexer.errors.StoreUnavailable` when they cannot be reached,
    ``Conflict`` for a name already taken and ``NotFound`` for an unknown name.
    """

    @abc.abstractmethod
    def add(self, record: KeyRecord) -> None:
        """Store a new key's record; Conflict when its name is taken."""

    @abc.abstractmethod
    def find(self, key_id: str) -> KeyRecord | None:
        """The record with this public id, or None; every process sees a new key at once."""

    @abc.abstractmethod
    def all(self) -> list[KeyRecord]:
        """Every key's record, by name."""

    @abc.abstractmethod
    def revoke(self, name: str) -> None:
        """Forget a key: it no longer authenticates anywhere. NotFound when unknown."""

    @abc.abstractmethod
    def touch(self, key_id: str, when: str) -> None:
        """Record when a key was last used (callers do it at most once a minute)."""

    def create(self, name: str, scopes: Iterable[str]) -> str:
        """Make, store and return a new key; only its digest stays behind."""
        key, record = new_key(name, scopes)
        self.add(record)
        return key

    def authenticate(self, key: str) -> KeyRecord | None:
        """The record of a valid key; None for a malformed, unknown or revoked one."""
        key_id = key_id_of(key)
        if key_id is None:
            return None
        record = self.find(key_id)
        if record is None or not matches(record, key):
            return None
        return record

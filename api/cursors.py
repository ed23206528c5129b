"""Signed cursors: the store's cursor plus an HMAC, so only cursors this API issued come back.

An unsigned cursor can be recomputed or edited by anyone (its fields are plain JSON); signing
means the store only ever decodes a cursor it produced itself. Every worker and every API
instance must share the secret: ``STORYRECORDS_SECRET_KEY``, or else one generated once and
kept (owner-only) in the data directory, which workers sharing that directory agree on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from indexer.errors import InvalidQuery

SECRET_FILE = "secret.key"
_PURPOSE = b"storyrecords cursor v1"


def cursor_key(secret: bytes) -> bytes:
    """The key cursors are signed with, derived so the secret can serve other purposes too."""
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def _mac(key: bytes, token: str) -> str:
    digest = hmac.new(key, token.encode("ascii"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(key: bytes, token: str) -> str:
    """``<store cursor>.<mac>``; the store's tokens are URL-safe base64, so never hold a dot."""
    return f"{token}.{_mac(key, token)}"


def verify(key: bytes, signed: str) -> str:
    """The store's cursor inside ``signed``, or InvalidQuery (a 422) when it was not ours."""
    token, _, mac = signed.rpartition(".")
    if not token or not token.isascii() or not hmac.compare_digest(mac, _mac(key, token)):
        raise InvalidQuery(
            "cursor is malformed or was not issued by this server; use the next_cursor of a "
            "previous page"
        )
    return token


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, or the data directory's (made once, 0600, race-free)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(staging, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(staging, path)  # atomic and exclusive: the first worker's secret wins
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    return path.read_text(encoding="ascii").strip().encode("ascii")

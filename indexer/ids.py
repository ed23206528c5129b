"""Stable identifiers: an article's id is derived from its content unless the client gives one."""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: What a client-chosen article id may look like (``bulk`` is a sibling route, never an id).
ID_REGEX = r"(?!bulk$)[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"
ID_PATTERN = f"^{ID_REGEX}$"
_ID = re.compile(ID_REGEX)
_WS = re.compile(r"\s+")
_SLUG = re.compile(r"[^a-z0-9]+")


def content_hash(text: str, title: str | None = None) -> str:
    """Hash of the whitespace-normalised title and text, so re-posting the same story matches."""
    norm = _WS.sub(" ", f"{title or ''}\n{text}").strip().lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def article_id(text: str, title: str | None = None) -> str:
    """The derived article id: a short prefix of the content hash (collisions are negligible)."""
    return "a" + content_hash(text, title)[:23]


def slugify(value: str) -> str:
    """ASCII, lowercase, dash-separated: the stable tail of canonical ids."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _SLUG.sub("-", ascii_text.lower()).strip("-")


def is_valid_id(value: str) -> bool:
    """The whole string is an id (``re.fullmatch``: ``$`` alone would let ``"abc\\n"`` in)."""
    return _ID.fullmatch(value) is not None

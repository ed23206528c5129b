"""Syndicated copies: a compact MinHash signature per article text, and cheap comparisons.

The same wire story appears under many URLs, trimmed, re-headlined or wrapped in a site's
boilerplate. A signature is 64 MinHash values of the text's word 5-gram shingles plus the
number of shingles; from two signatures we estimate both the Jaccard similarity and the
*containment* of the shorter text in the longer one, which is what stays high when one copy
is trimmed or padded. Candidates come from the store's full-text search (rare terms); this
module only compares a handful of them, in microseconds each.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

#: Bump when shingling or hashing changes: signatures of another version are not compared.
SCHEME = "m1"
NUM_PERM = 64
SHINGLE_WORDS = 5
#: Only this many leading words are hashed (a signature costs the same for any length).
MAX_WORDS = 20_000
#: A copy: the shorter text is this much contained in the longer one…
CONTAINMENT_THRESHOLD = 0.5
#: …and the texts share at least this much (guards against a tiny text inside a big one).
JACCARD_FLOOR = 0.15
#: Texts shorter than this (in shingles) are never called duplicates: too little evidence.
MIN_SHINGLES = 25
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Signature:
    """MinHash values (uint32) and the shingle count of one text."""

    values: tuple[int, ...]
    shingles: int

    def encode(self) -> str:
        """A short ASCII form to store in the record: ``m1:<shingles>:<base64 values>``."""
        raw = np.asarray(self.values, dtype="<u4").tobytes()
        return f"{SCHEME}:{self.shingles}:{base64.b64encode(raw).decode('ascii')}"

    @classmethod
    def decode(cls, text: str) -> Signature:
        """Inverse of :meth:`encode`; ``ValueError`` for another scheme or a damaged value."""
        scheme, count, payload = text.split(":", 2)
        if scheme != SCHEME:
            raise ValueError(f"signature scheme {scheme!r} is not {SCHEME!r}")
        values = np.frombuffer(base64.b64decode(payload, validate=True), dtype="<u4")
        if len(values) != NUM_PERM:
            raise ValueError("signature has the wrong length")
        return cls(tuple(int(v) for v in values), int(count))


@dataclass(frozen=True)
class Similarity:
    """Estimated Jaccard similarity and containment of the shorter text in the longer."""

    jaccard: float
    containment: float

    @property
    def is_copy(self) -> bool:
        """Whether the two texts are copies of one article (see the module thresholds)."""
        return self.containment >= CONTAINMENT_THRESHOLD and self.jaccard >= JACCARD_FLOOR


def shingles(text: str) -> set[bytes]:
    """Lower-cased word 5-grams (a text shorter than that is one shingle)."""
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
            for i in range(len(words) - SHINGLE_WORDS + 1)}


@cache
def _template() -> Any:
    """One MinHash whose permutations every signature reuses (drawing them costs the most)."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")


def signature(text: str) -> Signature:
    """The signature of an article body (the cleaned text; titles are left out on purpose)."""
    found = shingles(text)
    template = _template()
    minhash = type(template)(num_perm=NUM_PERM, seed=1, scheme="affine32",
                             permutations=template.permutations)
    if found:
        minhash.update_batch(sorted(found))
    return Signature(tuple(int(v) for v in minhash.hashvalues), len(found))


def compare(a: Signature, b: Signature) -> Similarity:
    """Similarity of two texts from their signatures alone."""
    if min(a.shingles, b.shingles) < MIN_SHINGLES:
        return Similarity(0.0, 0.0)
    same = int(np.count_nonzero(np.asarray(a.values) == np.asarray(b.values)))
    jaccard = same / NUM_PERM
    # |A ∩ B| = J (|A| + |B|) / (1 + J); containment divides by the smaller set
    overlap = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    containment = min(1.0, overlap / min(a.shingles, b.shingles))
    return Similarity(round(jaccard, 4), round(containment, 4))


def find_copy(sig: Signature, candidates: Iterable[tuple[str, Signature]]) -> str | None:
    """The id of the candidate ``sig`` is a copy of (the most similar one), or None."""
    best: tuple[float, str] | None = None
    for ident, other in candidates:
        similarity = compare(sig, other)
        if similarity.is_copy and (best is None or similarity.containment > best[0]):
            best = (similarity.containment, ident)
    return best[1] if best else None

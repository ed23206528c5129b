"""Weighted terms of a text against a fixed background vocabulary (wordfreq's English counts).

A word's weight is its rarity in general English, so names and specific nouns ("Lohan",
"aftershock") carry the match and function words carry nothing; no corpus of our own needed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from functools import cache, lru_cache

_APOSTROPHE = "\u2019"
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*|\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?:19|20)\d\d")
MAX_WEIGHT = 5.0
UNKNOWN_WEIGHT = 4.5
"""Words missing from the background list: mostly rare names, sometimes tokenisation debris."""
COMMON_ZIPF = 6.5
"""Zipf frequency at which a word stops carrying any weight (``said`` is 6.0, ``the`` 7.7)."""


@cache
def _background() -> dict[str, float]:
    """wordfreq's English frequency table (word -> frequency), loaded once per process."""
    from wordfreq import get_frequency_dict

    return get_frequency_dict("en")


def stem(word: str) -> str:
    """Fold plurals and possessives so "quakes"/"quake's" and "quake" match; nothing cleverer."""
    word = word.lower().replace(_APOSTROPHE, "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65_536)
def weight(token: str) -> float:
    """How much a shared occurrence of ``token`` says about two texts reporting the same thing."""
    if token[0].isdigit():
        if _YEAR.fullmatch(token):
            return 2.5
        return 2.0 if len(token) >= 2 else 0.5
    if len(token) <= 2:
        return 0.0
    freq = _background().get(token.lower().replace(_APOSTROPHE, "'"), 0.0)
    if freq <= 0.0:
        return UNKNOWN_WEIGHT
    zipf = math.log10(freq * 1e9)
    return max(0.0, min(MAX_WEIGHT, COMMON_ZIPF - zipf))


NAME_BOOST = 2.0
"""Extra counts for a capitalised word inside a sentence: who and where tell twins apart."""


def tokens(text: str) -> list[str]:
    """Word and number tokens in text order, case kept (stemming happens in :func:`counts`)."""
    return _TOKEN.findall(text)


def _is_name(text: str, match: re.Match[str]) -> bool:
    if not match.group()[0].isupper():
        return False
    before = text[max(0, match.start() - 6): match.start()].rstrip(" \t\"'(\u201c")
    return bool(before) and before[-1] not in ".!?:\n"


@lru_cache(maxsize=65_536)
def _keyed(token: str) -> tuple[str, str]:
    """A token's stem and its surface form (lower-cased, one apostrophe): words repeat, so
    both are worked out once per word, not once per occurrence."""
    return stem(token), token.lower().replace(_APOSTROPHE, "'")


def counts(text: str) -> tuple[dict[str, float], dict[str, Counter[str]]]:
    """Stem counts (names boosted) and, per stem, the surface forms seen (for retrieval)."""
    stems: dict[str, float] = {}
    surfaces: dict[str, Counter[str]] = {}
    for match in _TOKEN.finditer(text):
        key, surface = _keyed(match.group())
        if not key:
            continue
        boost = NAME_BOOST if match.group()[0].isupper() and _is_name(text, match) else 0.0
        stems[key] = stems.get(key, 0.0) + 1.0 + boost
        forms = surfaces.get(key)
        if forms is None:
            forms = surfaces[key] = Counter()
        forms[surface] += 1
    return stems, surfaces


def commonest(forms: Counter[str]) -> str:
    """``forms.most_common(1)[0][0]`` (the first seen among equals), without building a heap
    for the one or two forms a stem usually has."""
    if len(forms) == 1:
        return next(iter(forms))
    return max(forms, key=forms.__getitem__)


def vector(stems: dict[str, float], surfaces: dict[str, Counter[str]]) -> dict[str, float]:
    """Sublinear tf times background rarity (of the stem's commonest surface form: a real word)."""
    out: dict[str, float] = {}
    for key, tf in stems.items():
        surface = commonest(surfaces[key])
        w = weight(surface)
        if w > 0.0:
            out[key] = (1.0 + math.log(tf)) * w
    return out


def normalise(vec: Mapping[str, float], limit: int) -> dict[str, float]:
    """Keep the ``limit`` heaviest terms (ties by term: deterministic), scaled to unit length."""
    top = sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    norm = math.sqrt(sum(v * v for _, v in top))
    if norm == 0.0:
        return {}
    return {k: v / norm for k, v in top}


def norm(vec: Mapping[str, float]) -> float:
    """The Euclidean length of a sparse vector."""
    return math.sqrt(sum(v * v for v in vec.values()))


def cosine(a: dict[str, float], b: dict[str, float], na: float | None = None,
           nb: float | None = None) -> float:
    """Cosine of two sparse vectors (not assumed normalised); their norms when known."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(v * large[k] for k, v in small.items() if k in large)
    if dot == 0.0:
        return 0.0
    return dot / ((norm(a) if na is None else na) * (norm(b) if nb is None else nb))

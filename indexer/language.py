"""Which language an article is written in, when nobody said: py3langid, offline and deterministic.

Steps that only know English ask this before running, so they never invent English parties
or dates from foreign text.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

#: Characters read from the start of the text; the rest rarely changes the answer.
SAMPLE_CHARS = 4000
#: Fewer letters than this say too little to tell languages apart.
MIN_LETTERS = 20
#: Below this normalised probability, or less than MARGIN times the runner-up, we answer
#: "don't know" rather than guess (short texts spread probability over related languages).
MIN_CONFIDENCE = 0.4
MARGIN = 2.0
#: A text nobody labelled is only classified from this many letters up (shorter texts in
#: Latin script are too easily mistaken for a neighbour language); below it, a text written
#: mostly in another script (Hangul, CJK, Cyrillic, Arabic...) is still classified, since the
#: script alone rules English out.
RELIABLE_LETTERS = 200
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


@cache
def _identifier() -> Any:
    """The model ships inside the py3langid wheel; loaded once per process."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code (``en``, ``pt``, ``ko``…) of ``text``, or None when it cannot tell."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    ranked = _identifier().rank(sample)
    (language, best), (_, second) = ranked[0], ranked[1]
    if best < MIN_CONFIDENCE or best < MARGIN * second:
        return None
    return str(language)


def resolve_language(text: str, given: str | None, given_source: str | None = None
                     ) -> tuple[str, str]:
    """The language to store and where it came from: ``given`` (by the client or the page),
    else detected from ``text`` when that is reliable (``text``), else English (``default``).
    """
    if given:
        return given, given_source or "client"
    sample = text[:SAMPLE_CHARS]
    letters = _LETTER.findall(sample)
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    if len(letters) >= RELIABLE_LETTERS or (letters and latin < len(letters) / 2):
        detected = detect_language(sample)
        if detected is not None:
            return detected, "text"
    return "en", "default"


def is_english(language: str | None) -> bool:
    """Whether a stored BCP 47 tag (``en``, ``en-GB``) or a missing one means English."""
    return language is None or language.lower().split("-")[0] == "en"

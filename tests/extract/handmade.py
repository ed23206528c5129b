"""Builds parsed Docs by hand so extraction steps are tested without loading a model."""

from __future__ import annotations

import spacy
from spacy.tokens import Doc

_VOCAB = spacy.blank("en").vocab


def make_doc(rows: list[tuple[str, int, str, str]], ents: dict[int, str] | None = None) -> Doc:
    """rows: (word, head index, dep, pos); ents: token index -> IOB tag like 'B-GPE'."""
    words = [r[0] for r in rows]
    glued = {".", ",", "'s"}
    spaces = [i + 1 < len(rows) and rows[i + 1][0] not in glued for i in range(len(rows))]
    tags = [(ents or {}).get(i, "O") for i in range(len(rows))]
    return Doc(
        _VOCAB,
        words=words,
        spaces=spaces,
        heads=[r[1] for r in rows],
        deps=[r[2] for r in rows],
        pos=[r[3] for r in rows],
        lemmas=[r[0].lower() for r in rows],
        ents=tags,
    )

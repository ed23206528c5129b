"""Scorers that measure extraction against the samples and public annotated corpora."""

from __future__ import annotations

import os
from pathlib import Path


def _shared_dir() -> Path:
    """``STORYRECORDS_SHARED_DIR``, else ``../shared`` beside the checkout (or the cwd)."""
    configured = os.environ.get("STORYRECORDS_SHARED_DIR")
    if configured:
        return Path(configured)
    beside_checkout = Path(__file__).resolve().parents[2].parent / "shared"
    if beside_checkout.exists():
        return beside_checkout
    return Path.cwd().parent / "shared"


SHARED_DIR = _shared_dir()

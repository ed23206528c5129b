"""Scorers that measure extraction against the samples and public annotated corpora."""

from __future__ import annotations

from pathlib import Path

SHARED_DIR = Path(__file__).resolve().parents[2].parent / "shared"
"""Default location of ``../shared`` next to the repository checkout."""

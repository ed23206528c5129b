"""Shared fixtures: an app on a fresh embedded store, with a tiny deterministic extractor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.config import Settings
from indexer.models import ArticleInput, Extraction, Mention, Party, Place
from indexer.store.embedded import EmbeddedStore

SHARED = Path(__file__).resolve().parents[2] / "shared"

# name in text -> (party id, canonical name, kind); enough to make facets real in API tests.
KNOWN_PARTIES = {
    "Russia": ("country:RU", "Russia", "country"),
    "United States": ("country:US", "United States", "country"),
    "NATO": ("org:nato", "NATO", "organization"),
}
KNOWN_PLACES = {
    "Geneva": ("place:geneva-ch", "Geneva", "CH"),
    "Berlin": ("place:berlin-de", "Berlin", "DE"),
}


def _mentions(text: str, name: str) -> tuple[Mention, ...]:
    return tuple(Mention(m.start(), m.end(), name) for m in re.finditer(re.escape(name), text))


def fake_extract(item: ArticleInput) -> Extraction:
    """Finds a fixed list of names by string search: the API's behaviour, not NLP quality."""
    text = item.text.strip()
    parties = tuple(
        Party(id=pid, name=name, kind=kind, mentions=_mentions(text, surface))  # type: ignore[arg-type]
        for surface, (pid, name, kind) in KNOWN_PARTIES.items()
        if surface in text
    )
    places = tuple(
        Place(id=pid, name=name, country=cc, mentions=_mentions(text, name))
        for name, (pid, _, cc) in KNOWN_PLACES.items()
        if name in text
    )
    return Extraction(text=text, parties=parties, places=places)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", max_body_bytes=64_000, max_bulk_bytes=200_000)


@pytest.fixture
def store(settings: Settings) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(settings.data_dir / "test.sqlite3")
    yield store
    store.close()


@pytest.fixture
def app(settings: Settings, store: EmbeddedStore) -> Flask:
    return create_app(settings, store=store, extractor=(fake_extract, "test-1"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def in_ci() -> bool:
    """Under CI nothing that the suite needs may be skipped."""
    import os

    return os.environ.get("CI", "").lower() == "true"


def require_shared(path: Path, what: str) -> Path:
    """``path`` under ../shared, or a clear skip locally and a failure under CI."""
    if not path.exists():
        if in_ci():
            pytest.fail(f"{what} missing at {path} (CI=true never skips)")
        pytest.skip(f"{what} not found at {path}; it lives under ../shared")
    return path

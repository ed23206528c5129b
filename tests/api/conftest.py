"""API test clients: one that writes with a key (most tests), one without (the auth tests)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.store.embedded import EmbeddedStore


@pytest.fixture
def write_key(store: EmbeddedStore) -> str:
    """A key with the write scope, as `storyrecords keys create --scope write` makes."""
    return store.keys().create("tests", ["write"])


@pytest.fixture
def client(app: Flask, write_key: str) -> FlaskClient:
    """Sends the write key on every request, as a front end with a key configured does."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {write_key}"
    return client


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """Sends no key at all."""
    return app.test_client()

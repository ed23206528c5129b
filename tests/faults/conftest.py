"""Fixtures for tests that break Elasticsearch: each module gets a private instance."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.es_instance import EsInstance, es_instance
from tests.faults.support import (
    Backend,
    drop_prefix,
    embedded_backend,
    es_backend,
    shared_es_url,
)

#: A fault test loads hundreds of real articles through servers it kills and restarts: several
#: minutes on a busy 2-core machine, so it gets a longer hang guard than the suite's 300 s.
FAULT_TIMEOUT_S = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(FAULT_TIMEOUT_S))


@pytest.fixture(scope="module")
def private_es() -> Iterator[EsInstance]:
    """A private server for this module only (never the shared one), deleted afterwards.

    Module scope: one start (about 20 s) per module, and at most one extra server running at
    a time, since pytest tears a module's fixtures down before the next module starts.
    """
    with es_instance() as instance:
        yield instance


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Both backends: a fresh embedded store, or a fresh prefix on the *shared* server (for
    faults that break the API or its clients, never Elasticsearch itself); removed after."""
    if request.param == "embedded":
        yield embedded_backend(tmp_path / "data")
        return
    url = shared_es_url()
    prefix = f"faults-{uuid.uuid4().hex[:12]}"
    try:
        yield es_backend(url, prefix, tmp_path / "data")
    finally:
        drop_prefix(url, prefix)

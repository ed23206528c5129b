"""Fixtures for tests that break Elasticsearch: each module gets a private instance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.es_instance import EsInstance, es_instance


@pytest.fixture(scope="module")
def private_es() -> Iterator[EsInstance]:
    """A private server for this module only (never the shared one), deleted afterwards.

    Module scope: one start (about 20 s) per module, and at most one extra server running at
    a time, since pytest tears a module's fixtures down before the next module starts.
    """
    with es_instance() as instance:
        yield instance

"""The fault helper itself: a private server can be killed, frozen, thawed and restarted.

What later fault tests rely on: SIGKILL loses nothing acknowledged with a refresh, a restart
keeps the data directory, a frozen server makes a short-timeout request fail fast instead of
hanging, and a thawed one answers again by itself.
"""

from __future__ import annotations

import time

import pytest
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout

from tests.faults.es_instance import EsInstance

pytestmark = pytest.mark.elasticsearch

#: A frozen server must fail a 1 s request within this: one attempt, no retry on timeout. The
#: margin is for a loaded machine; a hang (the bug this guards against) would never end.
FROZEN_FAILS_WITHIN_S = 10.0


def test_an_acknowledged_document_survives_kill_9_and_restart(private_es: EsInstance) -> None:
    client = private_es.client()
    client.index(index="survivors", id="one", document={"title": "kept"}, refresh=True)
    before = private_es.pid

    private_es.kill()
    with pytest.raises(EsConnectionError):
        client.cluster.health()  # nothing listens now

    private_es.restart()
    assert private_es.pid != before
    document = client.get(index="survivors", id="one")
    assert document["_source"] == {"title": "kept"}
    client.close()


def test_a_frozen_server_fails_fast_and_answers_after_thaw(private_es: EsInstance) -> None:
    private_es.start()  # running whatever the test before did
    patient = private_es.client()  # a busy machine may take seconds; only the frozen call is short
    assert patient.cluster.health()["status"] in ("green", "yellow")
    fast = private_es.client(timeout=1)

    private_es.freeze()
    try:
        began = time.monotonic()
        with pytest.raises(ConnectionTimeout):
            fast.cluster.health()
        assert time.monotonic() - began < FROZEN_FAILS_WITHIN_S
    finally:
        private_es.thaw()

    private_es.wait_answering()  # polls: the JVM needs a moment to catch up after SIGCONT
    assert patient.cluster.health()["status"] in ("green", "yellow")
    fast.close()
    patient.close()

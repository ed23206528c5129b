"""The Store contract on an Elasticsearch with security on and TLS on its HTTP layer.

Real clusters run like this, so the whole contract suite runs again against a private
instance of the integ-test distribution (``scripts/elasticsearch.sh`` with
``STORYRECORDS_ES_SECURE=1``: ``xpack.security.enabled=true``, a CA and node certificate from
``elasticsearch-certutil``, the ``elastic`` user's password from the keystore). The store
connects the way an operator configures it: user and password in the URL (percent-encoded,
the password has ``:``, ``@``, ``/`` and ``%`` in it) and the CA file. The instance starts once
for this module and is deleted after it; Java missing is a skip locally, a failure under CI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import AuthenticationException, Elasticsearch
from elasticsearch import ConnectionError as EsConnectionError

import tests.store.test_elasticsearch as plain
from indexer.store.base import Store
from indexer.store.elasticsearch import ElasticsearchStore
from indexer.store.es_client import build_client, redact_url
from tests.faults.es_instance import EsInstance, es_instance
from tests.store.contract import StoreFactory

pytestmark = pytest.mark.elasticsearch


@pytest.fixture(scope="module")
def secure_es() -> Iterator[EsInstance]:
    with es_instance(secure=True) as instance:
        yield instance


@pytest.fixture(scope="module")
def es_url(secure_es: EsInstance) -> str:
    """The URL the store is given: https, with the elastic user's credentials in it."""
    return secure_es.auth_url


@pytest.fixture(scope="module")
def es_client(secure_es: EsInstance) -> Iterator[Elasticsearch]:
    """An authenticated client for cleaning up test indices."""
    client = secure_es.client(timeout=30)
    yield client
    client.close()


class TestSecureElasticsearchStore(plain.TestElasticsearchStore):
    """Every contract test of the plain suite, over TLS with authentication."""

    @pytest.fixture
    def store_factory(
        self, secure_es: EsInstance, es_url: str, es_client: Elasticsearch
    ) -> Iterator[StoreFactory]:
        prefix = f"storyrecords-test-{uuid.uuid4().hex[:12]}"

        def open_store() -> Store:
            return ElasticsearchStore(es_url, index=prefix, ca_certs=secure_es.ca_certs)

        yield open_store
        names = list(es_client.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
        if names:
            es_client.indices.delete(index=",".join(names))

    @pytest.fixture
    def unreachable_store(self, secure_es: EsInstance) -> StoreFactory:
        def open_store() -> Store:
            # Same credentials and CA, but port 9 (discard) has no server.
            url = secure_es.auth_url.replace(f":{secure_es.port}", ":9", 1)
            return ElasticsearchStore(
                url, index="unreachable", timeout=2, ca_certs=secure_es.ca_certs
            )

        return open_store


# -- the server really is secured ----------------------------------------------------------


def test_the_store_authenticates_as_elastic_over_tls(secure_es: EsInstance) -> None:
    assert secure_es.url.startswith("https://")
    client = secure_es.client()
    who = client.security.authenticate()
    assert who["username"] == "elastic"
    assert who["authentication_realm"]["type"] == "reserved"
    client.close()


def test_without_credentials_or_with_a_wrong_password_requests_are_refused(
    secure_es: EsInstance,
) -> None:
    anonymous = build_client(secure_es.url, ca_certs=secure_es.ca_certs)
    with pytest.raises(AuthenticationException):
        anonymous.cluster.health()
    anonymous.close()
    wrong_url = secure_es.auth_url.replace("elastic:", "elastic:wrong", 1)
    wrong = build_client(wrong_url, ca_certs=secure_es.ca_certs)
    with pytest.raises(AuthenticationException) as caught:
        wrong.cluster.health()
    assert secure_es.password is not None
    assert secure_es.password not in str(caught.value)
    wrong.close()


def test_a_certificate_not_signed_by_the_ca_is_refused(secure_es: EsInstance) -> None:
    """Without the CA file the system trust store cannot vouch for the node: no connection."""
    unverified = build_client(secure_es.auth_url)
    with pytest.raises(EsConnectionError):
        unverified.cluster.health()
    unverified.close()


def test_the_store_names_the_server_without_its_password(secure_es: EsInstance) -> None:
    store = ElasticsearchStore(secure_es.auth_url, index="named", ca_certs=secure_es.ca_certs)
    assert store.url == redact_url(secure_es.auth_url)
    assert secure_es.password is not None
    assert secure_es.password not in store.url
    store.close()

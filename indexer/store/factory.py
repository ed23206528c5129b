"""Choose the backend: Elasticsearch when a URL is configured, else the embedded store."""

from __future__ import annotations

from indexer.settings import StoreSettings
from indexer.store.base import Store


def open_store(settings: StoreSettings) -> Store:
    """Open (lazily connect) the configured backend; nothing is contacted before first use."""
    if settings.elasticsearch_url:
        from indexer.store.elasticsearch import ElasticsearchStore

        return ElasticsearchStore(
            settings.elasticsearch_url,
            index=settings.elasticsearch_index,
            api_key=settings.elasticsearch_api_key,
            ca_certs=settings.elasticsearch_ca_certs,
        )
    from indexer.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.data_dir / "storyrecords.sqlite3")

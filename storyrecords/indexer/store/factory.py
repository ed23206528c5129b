"""Choose the backend: Elasticsearch when a URL is configured, else the embedded store."""

from __future__ import annotations

from pathlib import Path

from storyrecords.indexer.store.base import Store


def open_store(data_dir: Path, elasticsearch_url: str | None, index: str) -> Store:
    """Open (lazily connect) the configured backend; nothing is contacted before first use."""
    if elasticsearch_url:
        from storyrecords.indexer.store.elasticsearch import ElasticsearchStore

        return ElasticsearchStore(elasticsearch_url, index=index)
    from storyrecords.indexer.store.embedded import EmbeddedStore

    return EmbeddedStore(data_dir / "storyrecords.sqlite3")

"""Web input: pages, feeds and web archives in, article fields with their provenance out.

Entry points: :func:`indexer.web.page.extract_page` (one HTML page), :mod:`indexer.web.feeds`
(RSS/Atom), :mod:`indexer.web.warc` (archives) and the ``storyrecords follow`` command in
:mod:`indexer.web.follow`. Every input here is untrusted: sizes are capped after
decompression and XML entities are never expanded.
"""

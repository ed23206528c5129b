"""storyrecords' indexer: news articles in, machine-readable story records out.

It never imports the ``api`` package; the API is one of its users, the CLI another.
"""

__version__ = "0.2.0"

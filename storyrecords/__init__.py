"""storyrecords: news articles in, machine-readable story records out."""

__version__ = "0.1.0"

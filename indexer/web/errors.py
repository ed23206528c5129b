"""Why a page, feed or archive was refused; each is ``Unprocessable`` so every door answers 422."""

from __future__ import annotations

from indexer.errors import IndexerError, Unprocessable


class BadPage(Unprocessable):
    """The input is not a readable HTML page: binary, not HTML, or text in no known encoding."""

    def __init__(self, message: str, field: str = "html") -> None:
        super().__init__(message, field)


class PageTooLarge(BadPage):
    """Over the size limit once decompressed (a gzip or WARC bomb); the API may answer 413."""

    def __init__(self, limit: int, field: str = "html") -> None:
        super().__init__(f"larger than the limit of {limit} bytes after decompression", field)
        self.limit = limit


class NotAnArticle(Unprocessable):
    """A real page with no article in it (an index page, a 404 page, a login wall)."""

    def __init__(self, message: str, field: str = "html") -> None:
        super().__init__(message, field)


class BadFeed(Unprocessable):
    """Not an RSS or Atom feed we will read (malformed, or declares XML entities)."""

    def __init__(self, message: str, field: str = "feed") -> None:
        super().__init__(message, field)


class BadArchive(Unprocessable):
    """A WARC file that cannot be read to the end."""

    def __init__(self, message: str, field: str = "warc") -> None:
        super().__init__(message, field)


class FetchError(IndexerError):
    """A page or feed could not be fetched; ``reason`` says why in one word for reports.

    Reasons: ``blocked`` (address or scheme refused), ``robots`` (disallowed by robots.txt),
    ``http`` (an error status, in ``status``), ``timeout``, ``unreachable``, ``too-large``,
    ``redirects``.
    """

    def __init__(self, message: str, *, reason: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status

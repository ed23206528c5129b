"""One exception hierarchy for the indexer; the API maps each class to an HTTP status once."""


class IndexerError(Exception):
    """Base class: anything the indexer raises on purpose."""


class NotFound(IndexerError):
    """The requested record does not exist."""


class Conflict(IndexerError):
    """The write would overwrite a different record under the same id."""


class InvalidQuery(IndexerError):
    """A search request the store cannot answer (bad cursor, bad filter value)."""

    def __init__(self, message: str, field: str = "cursor") -> None:
        super().__init__(message)
        self.field = field


class Unprocessable(IndexerError):
    """The input is well-formed but nothing can be made of it (e.g. no article text is left)."""

    def __init__(self, message: str, field: str = "text") -> None:
        super().__init__(message)
        self.field = field


class StoreUnavailable(IndexerError):
    """The backing store cannot be reached; the caller should retry later.

    The message names the server and the cause, for the log; clients get
    :meth:`public_message`, which names neither (no URL, path, credential or driver text).
    """

    PUBLIC = "The store is unreachable or overloaded."

    def public_message(self) -> str:
        """What a client may read."""
        return self.PUBLIC


class Moved(IndexerError):
    """The record was merged into another; ``new_id`` is where it lives now."""

    def __init__(self, old_id: str, new_id: str) -> None:
        super().__init__(f"{old_id} was merged into {new_id}")
        self.old_id = old_id
        self.new_id = new_id


class StoreFull(StoreUnavailable):
    """The store's disk is full: the write was rolled back; it works again once space is freed."""

    PUBLIC = "The store has no space left; nothing was stored. Retry once space is freed."


class NotAssigned(StoreUnavailable):
    """The article is stored, but joining it to its event failed; repeating the request
    finishes it (ingest is idempotent), and ``storyrecords check --repair`` does too."""

    def __init__(self, article_id: str, *, stored_now: bool) -> None:
        super().__init__(f"article {article_id} stored but not assigned to an event")
        self.article_id = article_id
        self.stored_now = stored_now

    def public_message(self) -> str:
        return (
            f"The article is stored as {self.article_id}, but its event could not be updated "
            "(the store is unreachable or busy). Repeat the same request to finish."
        )

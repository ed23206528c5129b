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


class StoreUnavailable(IndexerError):
    """The backing store cannot be reached; the caller should retry later."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Moved(IndexerError):
    """The record was merged into another; ``new_id`` is where it lives now."""

    def __init__(self, old_id: str, new_id: str) -> None:
        super().__init__(f"{old_id} was merged into {new_id}")
        self.old_id = old_id
        self.new_id = new_id

"""Errors of the Books API, each with the HTTP status it is answered with.

    BooksError                 (500, never raised for user input)
    ├── ValidationFailed       400  a body, parameter or attribute is not valid
    ├── NotFound               404  no book has this id
    ├── Conflict               409  a book with this id already exists
    ├── PreconditionFailed     412  If-Match does not match the stored version
    └── StoreUnavailable       503  the store kept failing after retries (with Retry-After)
        ├── StoreReadOnly      503  the store can be read but not written
        └── StoreFull          507  the store has no space left for the write

`core.responses.error_response` turns any of them into the proxy response, in one place.
"""

from __future__ import annotations


class BooksError(Exception):
    """Base of every error the books function answers with a message."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(BooksError):
    status = 400


class NotFound(BooksError):
    status = 404


class Conflict(BooksError):
    status = 409


class PreconditionFailed(BooksError):
    status = 412


class StoreUnavailable(BooksError):
    """The store failed (not the request): the client may retry after `retry_after_s`.

    `reason` names the failure for callers that explain it further (the CLI): unreachable,
    no-credentials, credentials-refused, table-missing, busy, read-only, full or failed.
    """

    status = 503
    retry_after_s = 1

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason


class StoreReadOnly(StoreUnavailable):
    retry_after_s = 30

    def __init__(self, message: str) -> None:
        super().__init__(message, "read-only")


class StoreFull(StoreUnavailable):
    status = 507  # Insufficient Storage
    retry_after_s = 30

    def __init__(self, message: str) -> None:
        super().__init__(message, "full")

"""Errors of the Books API, each with the HTTP status it is answered with.

    BooksError                 (500, never raised for user input)
    ├── ValidationFailed       400  a body, parameter or attribute is not valid
    ├── NotFound               404  no book has this id
    ├── Conflict               409  a book with this id already exists
    ├── PreconditionFailed     412  If-Match does not match the stored version
    └── StoreUnavailable       503  the store kept failing after retries

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
    status = 503

"""The `BookStore` port: what the books function needs from any store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from books_api.core.book import Book

# Lambda answers at most 6 MB (6,291,456 bytes); pages stop adding books before this many.
MAX_PAGE_BYTES = 5_500_000


@dataclass
class Page:
    books: list[Book]
    last_key: str | None  # book_id of the last book when more may follow


@dataclass
class ImportCounts:
    written: int = 0
    skipped: int = 0


class BookStore(Protocol):
    def get(self, book_id: str) -> Book | None:
        """The stored book, or None."""

    def create(self, book: Book) -> Book:
        """Store a new book (with version 1); raise Conflict if the id exists."""

    def update(
        self, book_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> Book:
        """Apply `changes` and increment `version` atomically; return the stored book.

        Raise NotFound if absent, PreconditionFailed if `expected_version` differs.
        """

    def delete(self, book_id: str, expected_version: int | None = None) -> Book:
        """Remove the book and return it; NotFound / PreconditionFailed as for update."""

    def list_page(
        self, limit: int, start_after: str | None = None, max_bytes: int = MAX_PAGE_BYTES
    ) -> Page:
        """Up to `limit` books in the store's key order, after the book `start_after`.

        `start_after` may name a book that no longer exists; the page starts where it was.
        The page stops early (with `last_key` set) before the books' size passes `max_bytes`.
        """

    def write_many(self, books: Iterable[Book], overwrite: bool = False) -> ImportCounts:
        """Write books in batches; existing ids are skipped unless `overwrite`."""

    def scan_all(self) -> Iterator[Book]:
        """Every book, streamed."""

    def default_cursor_key(self) -> bytes:
        """A secret stable for this store's data, to sign page tokens when none is configured."""

    def is_empty(self) -> bool: ...

    def close(self) -> None: ...

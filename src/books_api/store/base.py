"""The `BookStore` port: what the books function needs from any store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from books_api.core.book import Book


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

    def list_page(self, limit: int, start_after: str | None = None) -> Page:
        """Up to `limit` books ordered by the store's key order, after `start_after`."""

    def write_many(self, books: Iterable[Book], overwrite: bool = False) -> ImportCounts:
        """Write books in batches; existing ids are skipped unless `overwrite`."""

    def scan_all(self) -> Iterator[Book]:
        """Every book, streamed."""

    def is_empty(self) -> bool: ...

    def close(self) -> None: ...

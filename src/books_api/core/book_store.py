"""The `BookStore` port: what the books function needs from any store."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from books_api.core.book import Book, utc_now

# Lambda answers at most 6 MB (6,291,456 bytes); pages stop adding books before this many.
MAX_PAGE_BYTES = 5_500_000


@dataclass
class Page:
    books: list[Book]
    last_key: str | None  # book_id of the last book when more may follow


@dataclass
class ImportCounts:
    """What a bulk write did with each book it was given."""

    created: int = 0
    replaced: int = 0  # existing books overwritten (each one version up)
    skipped: int = 0  # the id existed and overwrite was off
    already: int = 0  # written by the same run before: a resumed run, or an id given twice
    done: int = 0  # books of the input settled in order: where a stopped run resumes

    @property
    def written(self) -> int:
        return self.created + self.replaced

    def add(self, other: ImportCounts) -> None:
        self.created += other.created
        self.replaced += other.replaced
        self.skipped += other.skipped
        self.already += other.already
        self.done += other.done


def new_run_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class WriteRun:
    """One bulk write (an import run): who writes and when, and an id that the store keeps
    with every book the run writes. The same run started again (after it stopped halfway)
    leaves those books alone, so each book changes once per run however often it resumes."""

    run_id: str = field(default_factory=new_run_id)
    actor: str = "import"
    at: str = field(default_factory=utc_now)


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

    def write_many(
        self,
        books: Iterable[Book],
        overwrite: bool = False,
        run: WriteRun | None = None,
        counts: ImportCounts | None = None,
    ) -> ImportCounts:
        """Write books in batches, each write conditional on what it replaces.

        A new id is created as given (version 1 unless it has one). An existing id is
        skipped, unless `overwrite`: then the book replaces it as `replaced_book` says. A
        book that `run` wrote already is left alone, and so is a later book with the same
        id. `counts` (returned) is updated as writes are acknowledged, so a caller still
        has them when the store fails midway.
        """

    def scan_all(self) -> Iterator[Book]:
        """Every book, streamed."""

    def default_cursor_key(self) -> bytes:
        """A secret stable for this store's data, to sign page tokens when none is configured."""

    def is_empty(self) -> bool: ...

    def close(self) -> None: ...

"""`import`: validated books from a file into a store, in batches, with a report."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from books_api.core.book import Book, utc_now, with_audit_defaults
from books_api.core.book_store import BookStore, ImportCounts
from books_api.store.parallel import encoded_batches, worker_count
from books_api.store.records import Record, json_lines, read_records
from books_api.store.sqlite import Row, SQLiteBookStore

MAX_LISTED_INVALID = 100
PROGRESS_EVERY = 2000

Progress = Callable[[int, int, int], None]  # (bytes read, file size, records read)


@dataclass
class ImportReport:
    read: int = 0
    written: int = 0
    skipped: int = 0  # ids that already existed (without --overwrite)
    invalid: int = 0
    invalid_listed: list[Record] = field(default_factory=list)  # the first ones, for the user
    aborted: bool = False  # --strict found an invalid record: nothing was written

    def note_invalid(self, record: Record) -> None:
        self.invalid += 1
        if len(self.invalid_listed) < MAX_LISTED_INVALID:
            self.invalid_listed.append(record)


class TextChunks:
    """UTF-8 text from a binary file, counting the bytes read (for progress)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.bytes_read = 0
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()

    def read(self, size: int = -1) -> str:
        data = self.raw.read(size)
        self.bytes_read += len(data)
        return self._decoder.decode(data, final=not data)


def import_file(
    store: BookStore,
    path: Path,
    *,
    strict: bool = False,
    overwrite: bool = False,
    actor: str = "import",
    progress: Progress | None = None,
) -> ImportReport:
    """Import `path`; with `strict`, one invalid record means nothing is written."""
    if strict:
        checked = ImportReport()
        for _ in _valid_books(path, checked, progress):
            pass
        if checked.invalid:
            checked.aborted = True
            return checked
    report = ImportReport()
    now = utc_now()
    if isinstance(store, SQLiteBookStore) and worker_count(path.stat().st_size):
        counts = _parallel_json_lines(store, path, report, overwrite, actor, now, progress)
        if counts is not None:
            report.written, report.skipped = counts.written, counts.skipped
            return report
    books = (with_audit_defaults(book, actor, now) for book in _valid_books(path, report, progress))
    counts = store.write_many(books, overwrite=overwrite)
    report.written, report.skipped = counts.written, counts.skipped
    return report


def _parallel_json_lines(
    store: SQLiteBookStore,
    path: Path,
    report: ImportReport,
    overwrite: bool,
    actor: str,
    now: str,
    progress: Progress | None,
) -> ImportCounts | None:
    """A large JSON Lines file through worker processes; None if it is not JSON Lines."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        text = TextChunks(raw)
        start = json_lines(text)
        if start is None:
            return None

        def rows() -> Iterator[Row]:
            batches = encoded_batches(*start, worker_count(size), actor, now)
            for batch in batches:
                report.read += batch.records
                for record in batch.invalid:
                    report.note_invalid(record)
                if progress:
                    progress(text.bytes_read, size, report.read)
                yield from batch.rows

        counts = store.write_encoded(rows(), overwrite=overwrite)
        if progress:
            progress(size, size, report.read)
        return counts


def _valid_books(path: Path, report: ImportReport, progress: Progress | None) -> Iterator[Book]:
    size = path.stat().st_size
    with path.open("rb") as raw:
        text = TextChunks(raw)
        for record in read_records(text):
            report.read += 1
            if record.book is None:
                report.note_invalid(record)
            else:
                yield record.book
            if progress and report.read % PROGRESS_EVERY == 0:
                progress(text.bytes_read, size, report.read)
        if progress:
            progress(size, size, report.read)

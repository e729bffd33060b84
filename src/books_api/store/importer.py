"""`import`: validated books from a file into a store, in batches, with a report."""

from __future__ import annotations

import codecs
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from books_api.core.book import Book, with_audit_defaults
from books_api.core.book_store import BookStore, ImportCounts, WriteRun
from books_api.core.errors import StoreUnavailable
from books_api.store.parallel import encoded_batches, worker_count
from books_api.store.records import Record, json_lines, read_records
from books_api.store.sqlite import Row, SQLiteBookStore

MAX_LISTED_INVALID = 100
PROGRESS_EVERY = 2000

Progress = Callable[[int, int, int], None]  # (bytes read, file size, records read)


@dataclass
class ImportReport:
    read: int = 0
    counts: ImportCounts = field(default_factory=ImportCounts)  # what the store did
    invalid: int = 0
    invalid_listed: list[Record] = field(default_factory=list)  # the first ones, for the user
    aborted: bool = False  # --strict found an invalid record: nothing was written

    @property
    def written(self) -> int:
        return self.counts.written

    @property
    def skipped(self) -> int:
        return self.counts.skipped

    def note_invalid(self, record: Record) -> None:
        self.invalid += 1
        if len(self.invalid_listed) < MAX_LISTED_INVALID:
            self.invalid_listed.append(record)


class ImportStopped(Exception):
    """The store failed midway: `report` holds what was written, `line` where it stopped
    (the first record not known to be written; the same run resumes there)."""

    def __init__(self, report: ImportReport, line: int | None, cause: StoreUnavailable) -> None:
        super().__init__(cause.message)
        self.report = report
        self.line = line
        self.cause = cause


class _Unsettled:
    """The lines of the books handed to the store that it has not settled yet, oldest first."""

    def __init__(self, counts: ImportCounts) -> None:
        self.counts = counts
        self.lines: deque[int] = deque()
        self.first = 0  # the index (among books handed) of lines[0]

    def hand(self, line: int) -> None:
        self.lines.append(line)
        self._forget_settled()

    def first_line(self) -> int | None:
        self._forget_settled()
        return self.lines[0] if self.lines else None

    def _forget_settled(self) -> None:
        while self.lines and self.first < self.counts.done:
            self.lines.popleft()
            self.first += 1


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
    run: WriteRun | None = None,
    actor: str = "import",
    progress: Progress | None = None,
) -> ImportReport:
    """Import `path`; with `strict`, one invalid record means nothing is written.

    Every book is written as part of `run` (a new one by default): the same run given again
    after it stopped leaves alone what it wrote. Raises ImportStopped when the store fails.
    """
    if strict:
        checked = ImportReport()
        for _ in _valid_books(path, checked, progress):
            pass
        if checked.invalid:
            checked.aborted = True
            return checked
    run = run or WriteRun(actor=actor)
    report = ImportReport()
    unsettled = _Unsettled(report.counts)
    try:
        if isinstance(store, SQLiteBookStore) and worker_count(path.stat().st_size):
            if _parallel_json_lines(store, path, report, overwrite, run, progress, unsettled):
                return report
        books = _valid_books(path, report, progress, unsettled)
        defaulted = (with_audit_defaults(book, run.actor, run.at) for book in books)
        store.write_many(defaulted, overwrite=overwrite, run=run, counts=report.counts)
    except StoreUnavailable as error:
        raise ImportStopped(report, unsettled.first_line(), error) from error
    return report


def _parallel_json_lines(
    store: SQLiteBookStore,
    path: Path,
    report: ImportReport,
    overwrite: bool,
    run: WriteRun,
    progress: Progress | None,
    unsettled: _Unsettled,
) -> bool:
    """A large JSON Lines file through worker processes; False if it is not JSON Lines."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        text = TextChunks(raw)
        start = json_lines(text)
        if start is None:
            return False

        def rows() -> Iterator[Row]:
            batches = encoded_batches(*start, worker_count(size), run.actor, run.at)
            for batch in batches:
                report.read += batch.records
                for record in batch.invalid:
                    report.note_invalid(record)
                if progress:
                    progress(text.bytes_read, size, report.read)
                for line, row in zip(batch.lines, batch.rows, strict=True):
                    unsettled.hand(line)
                    yield row

        store.write_encoded(rows(), overwrite=overwrite, run=run, counts=report.counts)
        if progress:
            progress(size, size, report.read)
        return True


def _valid_books(
    path: Path,
    report: ImportReport,
    progress: Progress | None,
    unsettled: _Unsettled | None = None,
) -> Iterator[Book]:
    size = path.stat().st_size
    with path.open("rb") as raw:
        text = TextChunks(raw)
        for record in read_records(text):
            report.read += 1
            if record.book is None:
                report.note_invalid(record)
            else:
                if unsettled is not None:
                    unsettled.hand(record.line)
                yield record.book
            if progress and report.read % PROGRESS_EVERY == 0:
                progress(text.bytes_read, size, report.read)
        if progress:
            progress(size, size, report.read)

"""Large JSON Lines imports into SQLite: lines parsed, checked and encoded by worker processes.

Parsing and checking a book costs several times what SQLite takes to store it, and JSON
Lines can be cut into batches without parsing, so every core works on a big file. The
workers hand back encoded rows in file order; this process only reads lines and writes.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from books_api.core.book import with_audit_defaults
from books_api.store.records import Record, line_record
from books_api.store.sqlite import Row, encode_row

LINES_PER_TASK = 5000
PARALLEL_FROM_BYTES = 16 * 1024 * 1024


@dataclass
class EncodedBatch:
    rows: list[Row]
    lines: list[int]  # each row's line in the file
    invalid: list[Record]
    records: int  # non-blank lines read


def worker_count(size: int) -> int:
    """Worker processes worth starting for a file of `size` bytes (0: stay in-process)."""
    cores = os.cpu_count() or 1
    return min(cores, 8) if size >= PARALLEL_FROM_BYTES and cores > 1 else 0


def encoded_batches(
    first_line: int, lines: Iterable[str], workers: int, actor: str, now: str
) -> Iterator[EncodedBatch]:
    """Batches of `lines` (numbered from `first_line`), encoded by `workers` processes."""
    # spawn: no copy of this process's threads or locks (the CLI entry points are safe
    # to re-import: `python -m` mains are skipped, the console script is guarded).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=exit_with_parent) as pool:
        pending: deque[Future[EncodedBatch]] = deque()
        for start, batch in _line_batches(first_line, lines):
            pending.append(pool.submit(encode_lines, start, batch, actor, now))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def exit_with_parent() -> None:
    """In a worker: exit as soon as the importing process is gone, however it ended.

    A killed import (SIGKILL) cannot stop its workers, and they would wait for work forever.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait_then_exit() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=wait_then_exit, name="exit-with-parent", daemon=True).start()


def encode_lines(start: int, lines: list[str], actor: str, now: str) -> EncodedBatch:
    """Parse, check and encode lines of JSON Lines (runs in a worker process)."""
    encoded = EncodedBatch([], [], [], 0)
    for offset, text in enumerate(lines):
        if not text.strip():
            continue
        encoded.records += 1
        record = line_record(start + offset, text)
        if record.book is None:
            encoded.invalid.append(record)
        else:
            encoded.rows.append(encode_row(with_audit_defaults(record.book, actor, now)))
            encoded.lines.append(record.line)
    return encoded


def _line_batches(first_line: int, lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    batch: list[str] = []
    start = first_line
    for text in lines:
        batch.append(text)
        if len(batch) == LINES_PER_TASK:
            yield start, batch
            start += len(batch)
            batch = []
    if batch:
        yield start, batch

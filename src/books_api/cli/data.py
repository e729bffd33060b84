"""`books-api import` and `books-api export`, and the store options they share with `serve`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from books_api.cli import import_runs
from books_api.cli.errors import CliError
from books_api.cli.stores import add_store_options, open_cli_store, store_name, store_problem
from books_api.core.book import Book
from books_api.core.errors import BooksError, StoreUnavailable
from books_api.store.exporter import FORMATS, export_books
from books_api.store.importer import ImportReport, ImportStopped, import_file
from books_api.store.records import UnreadableFile


def register(commands: Any) -> None:
    importer = commands.add_parser(
        "import", help="load books from DynamoDB JSON, a JSON list or JSON Lines"
    )
    importer.add_argument("file", type=Path, help="the file to read")
    importer.add_argument(
        "--strict", action="store_true", help="write nothing if any record is invalid"
    )
    importer.add_argument(
        "--overwrite", action="store_true", help="replace books whose id exists (default: skip)"
    )
    add_store_options(importer)
    importer.set_defaults(run=run_import)

    exporter = commands.add_parser("export", help="write every book to stdout or a file")
    exporter.add_argument("--format", choices=FORMATS, default="jsonl", help="default: jsonl")
    exporter.add_argument("--output", "-o", type=Path, default=None, help="default: stdout")
    add_store_options(exporter)
    exporter.set_defaults(run=run_export)


def run_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CliError(f"{args.file} is not a file")
    store = open_cli_store(args)
    run = import_runs.start(args.file, store_name(args), args.overwrite)
    if run.resumed:
        print(f"Resuming the import of {args.file} that stopped before it ended", file=sys.stderr)
    elif run.record is None:
        print("books-api: warning: cannot keep the import run: if it stops, running it again "
              "starts a new run", file=sys.stderr)  # fmt: skip
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = import_file(
            store,
            args.file,
            strict=args.strict,
            overwrite=args.overwrite,
            run=run.run,
            progress=bar.show if bar else None,
        )
    except ImportStopped as stopped:
        _end_bar(bar)
        print(f"books-api: error: {stopped_line(args, stopped)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _end_bar(bar)
        print(
            f"books-api: the import of {args.file} was interrupted: run the same command "
            "again to resume it",
            file=sys.stderr,
        )
        raise
    except UnreadableFile as error:
        run.finish()
        raise CliError(f"{args.file}: {error} (books before it were imported)") from None
    except UnicodeDecodeError:
        run.finish()
        raise CliError(f"{args.file} is not UTF-8 text") from None
    except BooksError as error:
        raise CliError(f"{args.file}: {error.message}") from None
    finally:
        _end_bar(bar)
        store.close()
    print_report(args.file, report, sys.stderr)
    sys.stderr.flush()
    run.finish()  # after the summary: a run stopped before it was shown resumes
    return 1 if report.invalid else 0


def stopped_line(args: argparse.Namespace, stopped: ImportStopped) -> str:
    where = f"{args.file}:{stopped.line}" if stopped.line is not None else str(args.file)
    return (
        f"the import stopped at {where}: {store_problem(args, stopped.cause)}; so far "
        f"{summary(stopped.report)}; run the same command again to resume"
    )


def summary(report: ImportReport) -> str:
    counts = report.counts
    text = (
        f"{counts.created} created, {counts.replaced} replaced, {counts.skipped} skipped "
        f"(id exists), {report.invalid} invalid (of {report.read} records)"
    )
    if counts.already:
        text += f"; {counts.already} already written by this import run"
    return text


def print_report(path: Path, report: ImportReport, out: IO[str]) -> None:
    for record in report.invalid_listed:
        print(f"{path}:{record.line}: {record.error}", file=out)
    if report.invalid > len(report.invalid_listed):
        print(f"... and {report.invalid - len(report.invalid_listed)} more invalid", file=out)
    if report.aborted:
        print(
            f"{report.invalid} invalid of {report.read} records; --strict: nothing written",
            file=out,
        )
        return
    print(f"Imported {report.written} books: {summary(report)}", file=out)


def run_export(args: argparse.Namespace) -> int:
    store = open_cli_store(args, write=False)
    books = _Counted(store.scan_all())
    try:
        if args.output is None:
            try:
                export_books(books, sys.stdout, args.format)
                sys.stdout.flush()
            except BrokenPipeError:  # `books-api export | head`: the reader has had enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            with args.output.open("w", encoding="utf-8") as out:
                export_books(books, out, args.format)
    except StoreUnavailable as error:
        written = f"{args.output} holds" if args.output else "the output holds"
        print(
            f"books-api: error: the export stopped after {books.count} books "
            f"({written} only those): {store_problem(args, error)}",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()
    print(f"Exported {books.count} books", file=sys.stderr)
    return 0


class _Counted:
    """The books, counted as they are read."""

    def __init__(self, books: Iterable[Book]) -> None:
        self.books = books
        self.count = 0

    def __iter__(self) -> Iterator[Book]:
        for book in self.books:
            self.count += 1
            yield book


def _end_bar(bar: ProgressBar | None) -> None:
    if bar is not None and not bar.ended:
        bar.done()


class ProgressBar:
    """A one-line bar on a terminal, redrawn at most five times a second."""

    WIDTH = 30

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.last = 0.0
        self.ended = False

    def show(self, done: int, total: int, records: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and done < total:
            return
        self.last = now
        fraction = done / total if total else 1.0
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + " " * (self.WIDTH - filled)
        self.out.write(f"\r[{bar}] {fraction:4.0%}  {records:,} records")
        self.out.flush()

    def done(self) -> None:
        self.ended = True
        self.out.write("\n")
        self.out.flush()

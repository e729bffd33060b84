"""`books-api import` and `books-api export`, and the store options they share with `serve`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from books_api.cli.errors import CliError
from books_api.cli.stores import add_store_options, open_cli_store
from books_api.store.exporter import FORMATS, export_books
from books_api.store.importer import ImportReport, import_file
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
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = import_file(
            store,
            args.file,
            strict=args.strict,
            overwrite=args.overwrite,
            progress=bar.show if bar else None,
        )
    except UnreadableFile as error:
        raise CliError(f"{args.file}: {error} (books before it were imported)") from None
    except UnicodeDecodeError:
        raise CliError(f"{args.file} is not UTF-8 text") from None
    finally:
        if bar:
            bar.done()
        store.close()
    print_report(args.file, report, sys.stderr)
    return 1 if report.invalid else 0


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
    print(
        f"Imported {report.written} books, skipped {report.skipped} existing, "
        f"{report.invalid} invalid (of {report.read} records)",
        file=out,
    )


def run_export(args: argparse.Namespace) -> int:
    store = open_cli_store(args)
    try:
        if args.output is None:
            try:
                count = export_books(store.scan_all(), sys.stdout, args.format)
                sys.stdout.flush()
            except BrokenPipeError:  # `books-api export | head`: the reader has had enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            with args.output.open("w", encoding="utf-8") as out:
                count = export_books(store.scan_all(), out, args.format)
    finally:
        store.close()
    print(f"Exported {count} books", file=sys.stderr)
    return 0


class ProgressBar:
    """A one-line bar on a terminal, redrawn at most five times a second."""

    WIDTH = 30

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.last = 0.0

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
        self.out.write("\n")
        self.out.flush()

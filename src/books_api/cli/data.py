"""`books-api import` and `books-api export`, and the store options they share with `serve`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from books_api.cli.home import default_db_path
from books_api.core.book import Book
from books_api.store.base import BookStore
from books_api.store.exporter import FORMATS, export_books
from books_api.store.importer import ImportReport, import_file
from books_api.store.records import UnreadableFile

LOCAL_REGION = "us-east-1"


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
    exporter.add_argument("--format", choices=FORMATS, default="jsonl")
    exporter.add_argument("--output", "-o", type=Path, default=None, help="default: stdout")
    add_store_options(exporter)
    exporter.set_defaults(run=run_export)


def add_store_options(parser: argparse.ArgumentParser, with_db: bool = True) -> None:
    """--store/--table/--endpoint-url/--create-table (and --db, unless the caller has it)."""
    parser.add_argument("--store", choices=("sqlite", "dynamodb"), default="sqlite")
    if with_db:
        parser.add_argument(
            "--db", type=Path, default=None, help="SQLite file (default: $BOOKS_API_HOME/books.db)"
        )
    parser.add_argument("--table", default="Books_Table", help="DynamoDB table (store dynamodb)")
    parser.add_argument(
        "--endpoint-url", default=None, help="DynamoDB endpoint, e.g. a local moto_server"
    )
    parser.add_argument(
        "--create-table", action="store_true", help="create the DynamoDB table if it is absent"
    )


def books_environment(args: argparse.Namespace) -> dict[str, str]:
    """The books function's variables for the chosen store (names from functions.yaml)."""
    if args.store == "sqlite":
        db_path = (args.db or default_db_path()).resolve()
        return {"BOOKS_STORE": "sqlite", "BOOKS_DB_PATH": str(db_path)}
    environment = {"BOOKS_STORE": "dynamodb", "BOOKS_TABLE": args.table}
    if args.endpoint_url:
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = args.endpoint_url
    return environment


def prepare_store(args: argparse.Namespace) -> str:
    """Get the chosen store ready for `serve`; return where its data lives (for the banner).

    A new SQLite file or a table made by --create-table starts with the article's books.
    """
    if args.store == "sqlite":
        from books_api.cli.serve import prepare_sqlite

        db_path = (args.db or default_db_path()).resolve()
        prepare_sqlite(db_path)
        return str(db_path)
    from books_api.store.seed import seed_books

    store = open_cli_store(args, seed=seed_books)
    store.close()
    return f"DynamoDB table {args.table}" + (
        f" at {args.endpoint_url}" if args.endpoint_url else ""
    )


def open_cli_store(
    args: argparse.Namespace, seed: Callable[[], list[Book]] | None = None
) -> BookStore:
    from books_api.cli import CliError

    if args.store == "sqlite":
        from books_api.store.sqlite import SQLiteBookStore

        return SQLiteBookStore((args.db or default_db_path()).resolve())
    try:
        from books_api.store.dynamodb import DynamoDBBookStore
    except ImportError:
        raise CliError("--store dynamodb needs boto3: pip install 'books-api[aws]'") from None
    if args.endpoint_url:
        # A local endpoint accepts any credentials; boto3 still wants some.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or LOCAL_REGION
    store = DynamoDBBookStore(args.table, region=region, endpoint_url=args.endpoint_url)
    if args.create_table and store.create_table():
        print(f"Created DynamoDB table {args.table}", file=sys.stderr)
        if seed is not None:
            store.write_many(seed())
    return store


def run_import(args: argparse.Namespace) -> int:
    from books_api.cli import CliError

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

"""The store a command works on: its options, its preparation and the books function's
variables for it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from books_api.cli.errors import CliError
from books_api.cli.home import default_db_path
from books_api.core.book import Book
from books_api.core.book_store import BookStore

LOCAL_REGION = "us-east-1"


def add_store_options(parser: argparse.ArgumentParser, with_db: bool = True) -> None:
    """--store/--table/--endpoint-url/--create-table (and --db, unless the caller has it)."""
    parser.add_argument(
        "--store", choices=("sqlite", "dynamodb"), default="sqlite", help="default: sqlite"
    )
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

    if args.store == "sqlite":
        from books_api.store.sqlite import SQLiteBookStore

        return SQLiteBookStore((args.db or default_db_path()).resolve())
    try:
        from books_api.store.dynamodb import DynamoDBBookStore
    except ImportError:
        raise CliError(
            "--store dynamodb needs boto3, which is not installed: in the checkout, "
            "run make run STORE=dynamodb (or .venv/bin/pip install -e '.[aws]')"
        ) from None
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


def prepare_sqlite(db_path: Path) -> None:
    """Create the database on first use and load the article's five books into it."""
    from books_api.store.seed import seed_books
    from books_api.store.sqlite import SQLiteBookStore

    store = SQLiteBookStore(db_path)
    try:
        if store.is_empty() and not _seeded_marker(db_path).exists():
            store.write_many(seed_books())
            _seeded_marker(db_path).touch()
    finally:
        store.close()


def _seeded_marker(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".seeded")

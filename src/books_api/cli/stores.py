"""The store a command works on: its options, its checks before any work, its preparation,
and the books function's variables for it.

`serve`, `import` and `export` open their store through `open_cli_store` (or `prepare_store`),
which fails fast in one line naming the file, or the table, region and endpoint: a SQLite
file that cannot be read or written, a DynamoDB table that is missing or keyed otherwise,
missing credentials, an endpoint that does not answer.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from books_api.cli.errors import CliError
from books_api.cli.home import default_db_path
from books_api.core.book import Book
from books_api.core.book_store import BookStore
from books_api.core.errors import StoreUnavailable
from books_api.settings import DynamoDBLocation
from books_api.store.sqlite import BUSY_TIMEOUT_MS


def add_store_options(parser: argparse.ArgumentParser, with_db: bool = True) -> None:
    """--store/--table/--region/--endpoint-url/--create-table (and --db, unless the caller
    has it)."""
    parser.add_argument(
        "--store", choices=("sqlite", "dynamodb"), default="sqlite", help="default: sqlite"
    )
    if with_db:
        parser.add_argument(
            "--db", type=Path, default=None, help="SQLite file (default: $BOOKS_API_HOME/books.db)"
        )
    parser.add_argument(
        "--table", default=None, help="DynamoDB table (default: $BOOKS_TABLE, else Books_Table)"
    )
    parser.add_argument(
        "--region",
        default=None,
        help="DynamoDB region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1)",
    )
    parser.add_argument(
        "--endpoint-url",
        default=None,
        help="DynamoDB endpoint, e.g. a local moto_server (default: $AWS_ENDPOINT_URL_DYNAMODB)",
    )
    parser.add_argument(
        "--create-table", action="store_true", help="create the DynamoDB table if it is absent"
    )


def sqlite_path(args: argparse.Namespace) -> Path:
    return Path(args.db or default_db_path()).resolve()


def dynamodb_location(args: argparse.Namespace) -> DynamoDBLocation:
    """The command line's table, region and endpoint, else the shell's, else the defaults."""
    return DynamoDBLocation.resolve(
        os.environ, table=args.table, region=args.region, endpoint_url=args.endpoint_url
    )


def store_name(args: argparse.Namespace) -> str:
    """Names the store's data, the same way each time (for the import runs)."""
    if args.store == "sqlite":
        return f"sqlite:{sqlite_path(args)}"
    where = dynamodb_location(args)
    return f"dynamodb:{where.endpoint_url or ''}|{where.region}|{where.table}"


def books_environment(args: argparse.Namespace) -> dict[str, str]:
    """The books function's variables for the chosen store (names from functions.yaml)."""
    if args.store == "sqlite":
        environment = {"BOOKS_STORE": "sqlite", "BOOKS_DB_PATH": str(sqlite_path(args))}
        # The functions file's empty default would hide the shell's size limit.
        limit = os.environ.get("BOOKS_DB_MAX_BYTES", "").strip()
        if limit and not limit.isdigit():
            raise CliError(
                f"BOOKS_DB_MAX_BYTES={limit} is not a number of bytes: give one (e.g. "
                "1000000000), or unset it for no limit"
            )
        if limit:
            environment["BOOKS_DB_MAX_BYTES"] = limit
        return environment
    where = dynamodb_location(args)
    environment = {
        "BOOKS_STORE": "dynamodb",
        "BOOKS_TABLE": where.table,
        "AWS_REGION": where.region,
        "AWS_DEFAULT_REGION": where.region,
    }
    if where.endpoint_url:
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = where.endpoint_url
    return environment


def prepare_store(args: argparse.Namespace) -> str:
    """Get the chosen store ready for `serve`; return what it serves (for the banner).

    A new SQLite file or a table made by --create-table starts with the article's books.
    """
    if args.store == "sqlite":
        db_path = sqlite_path(args)
        check_sqlite(db_path, "serve", write=True)
        with _cli_errors(args):
            prepare_sqlite(db_path)
        limit = books_environment(args).get("BOOKS_DB_MAX_BYTES")
        return f"{db_path}, at most {int(limit):,} bytes" if limit else str(db_path)
    from books_api.store.seed import seed_books

    store = open_cli_store(args, seed=seed_books)
    store.close()
    where = dynamodb_location(args)
    # The gateway's execution environments take their region from this process's
    # environment (as every other resolution does): the one chosen here.
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = where.region
    return where.describe()


def open_cli_store(
    args: argparse.Namespace,
    seed: Callable[[], list[Book]] | None = None,
    write: bool = True,
) -> BookStore:
    """The chosen store, checked: a CliError (one line) when it cannot be used."""
    if args.store == "sqlite":
        from books_api.store.sqlite import SQLiteBookStore

        db_path = sqlite_path(args)
        check_sqlite(db_path, getattr(args, "command", None) or "this command", write)
        with _cli_errors(args):
            return SQLiteBookStore(db_path)
    return _open_dynamodb(args, seed)


def _open_dynamodb(args: argparse.Namespace, seed: Callable[[], list[Book]] | None) -> BookStore:
    try:
        from books_api.store.dynamodb import DynamoDBBookStore
    except ImportError:
        raise CliError(
            "--store dynamodb needs boto3, which is not installed: in the checkout, "
            "run make run STORE=dynamodb (or .venv/bin/pip install -e '.[aws]')"
        ) from None
    where = dynamodb_location(args)
    if where.endpoint_url:
        # A local endpoint accepts any credentials; boto3 still wants some.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    try:
        store = DynamoDBBookStore(where.table, region=where.region, endpoint_url=where.endpoint_url)
    except ValueError as error:  # botocore: "Invalid endpoint: ..."
        raise CliError(f"--endpoint-url {where.endpoint_url}: {error}") from None
    with _cli_errors(args):
        try:
            store.check_table()
        except StoreUnavailable as error:
            if error.reason != "table-missing" or not args.create_table:
                raise
            if store.create_table():
                print(f"Created DynamoDB table {where.table} in {where.region}", file=sys.stderr)
                if seed is not None:
                    store.write_many(seed())
    return store


def check_sqlite(db_path: Path, command: str, write: bool) -> None:
    """Raise CliError unless `command` can read (and, with `write`, write) the database."""
    if db_path.is_dir():
        raise CliError(f"{db_path} is a directory, not a SQLite file: name a file with --db")
    if db_path.exists() and not os.access(db_path, os.R_OK):
        raise CliError(f"{db_path} cannot be read (permission denied): {command} reads it")
    if not write:
        if not db_path.exists():
            raise CliError(
                f"no database at {db_path}: import books or run serve first, or name the "
                "file with --db"
            )
        return
    if db_path.exists() and not os.access(db_path, os.W_OK):
        raise CliError(
            f"{db_path} is read-only: {command} writes to it; make it writable or name "
            "another file with --db"
        )
    directory = _existing_parent(db_path)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CliError(
            f"{directory} is not writable: {command} needs to make {db_path.name} and its "
            "-wal and -shm files there; name another place with --db"
        )


def _existing_parent(path: Path) -> Path:
    directory = path.parent
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    return directory


@contextmanager
def _cli_errors(args: argparse.Namespace) -> Iterator[None]:
    """StoreUnavailable as one CliError line naming the store."""
    try:
        yield
    except StoreUnavailable as error:
        raise CliError(store_problem(args, error)) from None


def store_problem(args: argparse.Namespace, error: StoreUnavailable) -> str:
    """What went wrong with the store, where, and how to fix it: one line."""
    if args.store == "sqlite":
        return _sqlite_problem(sqlite_path(args), error)
    return _dynamodb_problem(dynamodb_location(args), error)


def _sqlite_problem(db_path: Path, error: StoreUnavailable) -> str:
    if error.reason == "read-only":
        return f"{db_path} is read-only: make it (and its directory) writable"
    if error.reason == "full":
        return f"{db_path}: no space left for the database; free some space and run again"
    if error.reason == "busy":
        return (
            f"{db_path} stayed locked by another writer for {BUSY_TIMEOUT_MS // 1000} s; "
            "run again when it is done"
        )
    return f"{db_path}: {_detail(error)}"


def _dynamodb_problem(where: DynamoDBLocation, error: StoreUnavailable) -> str:
    at = f" at {where.endpoint_url}" if where.endpoint_url else ""
    place = f"DynamoDB table {where.table} in {where.region}{at}"
    if error.reason == "table-missing":
        return (
            f"{place} does not exist: add --create-table to create it, or name the table "
            "with --table (and its region with --region)"
        )
    if error.reason == "wrong-key":
        return f"{place}: {_detail(error)}; name a table keyed by book_id (S) with --table"
    if error.reason == "no-credentials":
        return (
            f"no AWS credentials to reach {place}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (for a local DynamoDB, give --endpoint-url)"
        )
    if error.reason == "credentials-refused":
        return f"{place}: {_detail(error)}; check AWS_PROFILE or the access keys, and --region"
    if error.reason == "unreachable":
        endpoint = where.endpoint_url or f"https://dynamodb.{where.region}.amazonaws.com"
        return (
            f"cannot reach DynamoDB at {endpoint} (table {where.table}, region "
            f"{where.region}): is it running? Check --endpoint-url and --region"
        )
    if error.reason == "busy":
        return f"{place} kept throttling or failing after retries; run again later"
    return f"{place}: {_detail(error)}"


def _detail(error: StoreUnavailable) -> str:
    """The store's message without its opening words for API clients."""
    return error.message.split(": ", 1)[-1] if ": " in error.message else error.message


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

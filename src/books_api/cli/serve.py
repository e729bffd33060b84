"""`books-api serve`: the local API Gateway on uvicorn, over the embedded SQLite store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from books_api.cli.home import default_db_path, local_secret


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="serve the API locally (http://HOST:PORT/prod)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument(
        "--db", type=Path, default=None, help="SQLite file (default: $BOOKS_API_HOME/books.db)"
    )
    parser.add_argument("--stage", default="prod")
    parser.set_defaults(run=run)


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


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from books_api.cli.token import make_token
    from books_api.local.access_log import AccessLog
    from books_api.local.app import build_gateway, create_app
    from books_api.local.document import default_paths

    db_path = (args.db or default_db_path()).resolve()
    prepare_sqlite(db_path)
    secret = local_secret()
    api_path, functions_path = default_paths()
    gateway = build_gateway(
        api_path,
        functions_path,
        environment={
            "books": {"BOOKS_STORE": "sqlite", "BOOKS_DB_PATH": str(db_path)},
            "authorizer": {"JWT_SECRET": secret},
        },
        access_log=AccessLog(sys.stdout),
        stage=args.stage,
    )
    base = f"http://{args.host}:{args.port}/{args.stage}"
    example = make_token("local-user", "api_user", 3600, secret)
    print(
        f"Books API on {base}  (data: {db_path})\n"
        f"A token valid for one hour:\n  {example}\n"
        f"Try:\n  curl -H 'authorizationToken: Bearer {example}' {base}/books\n",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        create_app(gateway), host=args.host, port=args.port, log_level="warning", access_log=False
    )
    return 0

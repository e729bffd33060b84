"""Start the Books API's own gateway (document + functions file) on a real socket."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from books_api.cli.signing import make_token
from books_api.cli.stores import prepare_sqlite
from books_api.local.gateway.access_log import AccessLog
from books_api.local.gateway.app import build_gateway, create_app
from books_api.local.gateway.document import default_paths
from books_api.local.gateway.stage import Gateway
from tests.support.server import serve_in_thread


@dataclass
class RunningGateway:
    url: str  # the stage URL, e.g. http://127.0.0.1:PORT/prod
    secret: str
    db_path: Path
    gateway: Gateway
    access_log: io.StringIO

    def token(self, sub: str = "tester", role: str = "api_user", ttl: int = 600) -> str:
        return make_token(sub, role, ttl, self.secret)


@contextmanager
def books_gateway(
    data_dir: Path,
    extra_authorizer_env: dict[str, str] | None = None,
    books_env: dict[str, str] | None = None,
) -> Iterator[RunningGateway]:
    """`books_env` replaces the books function's store variables (default: SQLite file)."""
    db_path = data_dir / "books.db"
    prepare_sqlite(db_path)
    secret = secrets.token_urlsafe(48)
    log = io.StringIO()
    api, functions = default_paths()
    gateway = build_gateway(
        api,
        functions,
        environment={
            "books": books_env or {"BOOKS_STORE": "sqlite", "BOOKS_DB_PATH": str(db_path)},
            "authorizer": {"JWT_SECRET": secret, **(extra_authorizer_env or {})},
        },
        access_log=AccessLog(log),
    )
    with serve_in_thread(create_app(gateway)) as base:
        yield RunningGateway(f"{base}/prod", secret, db_path, gateway, log)

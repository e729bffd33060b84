"""Configuration, read once from environment variables at cold start (Lambda's convention).

Each function reads only its own part: `BooksSettings` for the books function,
`AuthSettings` for the authorizer. Locally the gateway sets each function's variables
from `openapi/functions.yaml`; in AWS, the Terraform module sets the same names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BooksSettings:
    """The books function's variables (names listed in openapi/functions.yaml).

    `BOOKS_CURSOR_KEY` signs pagination tokens. When it is unset, the store supplies a
    secret that every container of one deployment shares: SQLite keeps a random key in the
    database file; DynamoDB derives one from the table's identity (its `TableId`, a random
    id only `DescribeTable` reveals), so tokens stay valid until the table is re-created.
    """

    store: str  # BOOKS_STORE: "sqlite" or "dynamodb"
    db_path: str  # BOOKS_DB_PATH: SQLite file (store "sqlite")
    table: str  # BOOKS_TABLE: DynamoDB table name (store "dynamodb")
    cursor_key: bytes | None  # BOOKS_CURSOR_KEY; None: the store's default key
    region: str | None  # AWS_REGION (set by Lambda)
    endpoint_url: str | None  # AWS_ENDPOINT_URL_DYNAMODB: a local DynamoDB (moto_server)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BooksSettings:
        store = env.get("BOOKS_STORE", "dynamodb").strip().lower() or "dynamodb"
        table = env.get("BOOKS_TABLE", "Books_Table").strip() or "Books_Table"
        db_path = env.get("BOOKS_DB_PATH", "").strip() or "books.db"
        cursor_key = env.get("BOOKS_CURSOR_KEY", "").strip()
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
        endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB") or env.get("AWS_ENDPOINT_URL") or None
        return cls(
            store=store,
            db_path=db_path,
            table=table,
            cursor_key=cursor_key.encode() if cursor_key else None,
            region=region,
            endpoint_url=endpoint,
        )


@dataclass(frozen=True)
class AuthSettings:
    jwt_secret: str | None
    role_claim: str
    allowed_roles: frozenset[str]

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> AuthSettings:
        return cls(
            jwt_secret=env.get("JWT_SECRET") or None,
            role_claim="Role",
            allowed_roles=frozenset({"api_user"}),
        )

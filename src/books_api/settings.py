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
    store: str  # "sqlite" or "dynamodb"
    db_path: str  # SQLite file (store "sqlite")
    table: str  # DynamoDB table name (store "dynamodb")
    cursor_key: bytes  # signs pagination tokens

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BooksSettings:
        store = env.get("BOOKS_STORE", "dynamodb").strip().lower() or "dynamodb"
        table = env.get("BOOKS_TABLE", "Books_Table").strip() or "Books_Table"
        db_path = env.get("BOOKS_DB_PATH", "").strip() or "books.db"
        cursor_key = env.get("BOOKS_CURSOR_KEY", "").strip() or f"books-api:{store}:{table}"
        return cls(store=store, db_path=db_path, table=table, cursor_key=cursor_key.encode())


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

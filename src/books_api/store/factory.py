"""Open the store that the settings name."""

from __future__ import annotations

from books_api.core.book_store import BookStore
from books_api.settings import BooksSettings


def open_store(settings: BooksSettings) -> BookStore:
    if settings.store == "sqlite":
        from books_api.store.sqlite import SQLiteBookStore

        return SQLiteBookStore(settings.db_path, max_bytes=settings.db_max_bytes)
    if settings.store == "dynamodb":
        from books_api.store.dynamodb import DynamoDBBookStore

        where = settings.dynamodb
        return DynamoDBBookStore(where.table, region=where.region, endpoint_url=where.endpoint_url)
    raise ValueError(f"Unknown BOOKS_STORE {settings.store!r} (expected sqlite or dynamodb)")

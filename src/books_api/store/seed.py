"""The article's five books (DynamoDB JSON), shipped with the package."""

from __future__ import annotations

import json
from importlib import resources

from books_api.core.book import Book, utc_now, with_audit_defaults
from books_api.core.dynamodb_json import from_item


def seed_books() -> list[Book]:
    """The five books, as written by `seed` now (audit fields filled in, version 1)."""
    text = resources.files("books_api").joinpath("data/books.json").read_text("utf-8")
    items = json.loads(text)
    now = utc_now()
    return [with_audit_defaults(from_item(item), "seed", now) for item in items.values()]

"""The article's five books (DynamoDB JSON), shipped with the package."""

from __future__ import annotations

import json
from importlib import resources

from books_api.core.book import Book
from books_api.core.dynamodb_json import from_item


def seed_books() -> list[Book]:
    text = resources.files("books_api").joinpath("data/books.json").read_text("utf-8")
    items = json.loads(text)
    return [from_item(item) for item in items.values()]

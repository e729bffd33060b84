"""What a book is: the rules every store enforces (mirrors `Book` in openapi/books.yaml)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from books_api.core.errors import ValidationFailed

Book = dict[str, Any]

MAX_BOOK_ID_LENGTH = 128
ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
AUDIT_FIELDS = frozenset({"created_at", "updated_at", "created_by", "updated_by"})
RESERVED_ATTRIBUTES = frozenset({"book_id", "version"}) | AUDIT_FIELDS


def check_book_id(value: Any, field: str = "book_id") -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"Field '{field}' must be a string")
    if not value or len(value) > MAX_BOOK_ID_LENGTH:
        raise ValidationFailed(f"Field '{field}' must be 1 to {MAX_BOOK_ID_LENGTH} characters long")
    return value


def check_attribute_name(name: Any) -> str:
    """A plain attribute name that a client may set: not the key, not managed fields."""
    if not isinstance(name, str) or not ATTRIBUTE_NAME.fullmatch(name):
        raise ValidationFailed(
            "Field 'update_key' must be a plain attribute name "
            "(letters, digits and _, not starting with a digit, at most 64 characters)"
        )
    if name in RESERVED_ATTRIBUTES:
        raise ValidationFailed(f"Attribute '{name}' cannot be changed")
    return name


def check_attribute(name: str, value: Any) -> Any:
    """Check one attribute's value against its type in the schema."""
    if name in ("name", "author"):
        if not isinstance(value, str):
            raise ValidationFailed(f"Field '{name}' must be a string")
    elif name == "price":
        if not isinstance(value, Decimal) or value < 0:
            raise ValidationFailed("Field 'price' must be a non-negative number")
    elif name == "languages":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationFailed("Field 'languages' must be a list of strings")
    else:
        _check_free_value(name, value, depth=0)
    return value


def _check_free_value(name: str, value: Any, depth: int) -> None:
    if depth > 32:
        raise ValidationFailed(f"Field '{name}' is nested too deeply")
    if isinstance(value, list):
        for item in value:
            _check_free_value(name, item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _check_free_value(name, item, depth + 1)
    elif not isinstance(value, str | Decimal | bool) and value is not None:
        raise ValidationFailed(f"Field '{name}' has an unsupported value")


def check_new_book(body: Any) -> Book:
    """Validate a `POST /book` body and return the book it describes."""
    if not isinstance(body, dict):
        raise ValidationFailed("Request body must be a JSON object")
    if "book_id" not in body:
        raise ValidationFailed("Missing required field: book_id")
    book: Book = {"book_id": check_book_id(body["book_id"])}
    for name, value in body.items():
        if name == "book_id":
            continue
        if not isinstance(name, str) or not ATTRIBUTE_NAME.fullmatch(name):
            raise ValidationFailed(f"Attribute name '{name}' is not a plain attribute name")
        if name in RESERVED_ATTRIBUTES:
            raise ValidationFailed(f"Attribute '{name}' is managed by the server")
        book[name] = check_attribute(name, value)
    return book

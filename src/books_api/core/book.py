"""What a book is: the rules every store enforces (mirrors `Book` in openapi/books.yaml)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from books_api.core.codec import dumps
from books_api.core.errors import ValidationFailed

Book = dict[str, Any]

MAX_BOOK_ID_LENGTH = 128
# DynamoDB's item size limit; SQLite enforces the same so both stores accept the same books.
MAX_BOOK_BYTES = 400 * 1024
MAX_NESTING = 32
ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
AUDIT_FIELDS = frozenset({"created_at", "updated_at", "created_by", "updated_by"})
RESERVED_ATTRIBUTES = frozenset({"book_id", "version"}) | AUDIT_FIELDS


def check_text(value: Any, field: str) -> str:
    """A string that UTF-8 can encode (JSON lets lone surrogates such as `\\ud800` through)."""
    if not isinstance(value, str):
        raise ValidationFailed(f"Field '{field}' must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(f"Field '{field}' is not valid Unicode text") from None
    return value


def check_book_id(value: Any, field: str = "book_id") -> str:
    check_text(value, field)
    if not value or len(value) > MAX_BOOK_ID_LENGTH:
        raise ValidationFailed(f"Field '{field}' must be 1 to {MAX_BOOK_ID_LENGTH} characters long")
    return str(value)


PLAIN_NAME_RULE = "letters, digits and _, not starting with a digit, at most 64 characters"


def check_attribute_name(name: Any, field: str | None = "update_key") -> str:
    """A plain attribute name that a client may set: not the key, not managed fields.

    `field` names the request field holding the name; None when the name is itself a field.
    """
    if not isinstance(name, str) or not ATTRIBUTE_NAME.fullmatch(name):
        if field is None:
            shown = name[:80] if isinstance(name, str) else name
            raise ValidationFailed(f"Attribute name '{shown}' is not valid ({PLAIN_NAME_RULE})")
        raise ValidationFailed(
            f"Field '{field}' must be a plain attribute name ({PLAIN_NAME_RULE})"
        )
    if name in RESERVED_ATTRIBUTES:
        where = f"Field '{field}': attribute" if field else "Attribute"
        raise ValidationFailed(f"{where} '{name}' is managed by the server and cannot be changed")
    return name


def check_attribute(name: str, value: Any) -> Any:
    """Check one attribute's value against its type in the schema."""
    if name in ("name", "author"):
        check_text(value, name)
    elif name == "price":
        if isinstance(value, bool) or not isinstance(value, Decimal | int) or value < 0:
            raise ValidationFailed("Field 'price' must be a non-negative number")
    elif name == "languages":
        if not isinstance(value, list):
            raise ValidationFailed("Field 'languages' must be a list of strings")
        for item in value:
            if not isinstance(item, str):
                raise ValidationFailed("Field 'languages' must be a list of strings")
            check_text(item, name)
    else:
        _check_free_value(name, value, depth=0)
    return value


def _check_free_value(name: str, value: Any, depth: int) -> None:
    if depth > MAX_NESTING:
        raise ValidationFailed(f"Field '{name}' is nested too deeply")
    if isinstance(value, str):
        check_text(value, name)
    elif isinstance(value, list):
        for item in value:
            _check_free_value(name, item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, name)
            _check_free_value(name, item, depth + 1)
    elif not isinstance(value, Decimal | bool | int) and value is not None:
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
        book[check_attribute_name(name, field=None)] = check_attribute(name, value)
    check_size(book)
    return book


def check_stored_book(record: Any) -> Book:
    """Validate a book as stored or exported: managed fields are allowed and type-checked."""
    if not isinstance(record, dict):
        raise ValidationFailed("A book must be a JSON object")
    managed = {name: record[name] for name in RESERVED_ATTRIBUTES - {"book_id"} if name in record}
    book = check_new_book({name: value for name, value in record.items() if name not in managed})
    version = managed.get("version")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, Decimal | int):
            raise ValidationFailed("Field 'version' must be a positive integer")
        if version != int(version) or not 1 <= version < 2**63:
            raise ValidationFailed("Field 'version' must be a positive integer")
        book["version"] = int(version)
    for name in AUDIT_FIELDS & managed.keys():
        book[name] = check_text(managed[name], name)
    return {name: book[name] for name in record if name in book}  # the record's order


def with_audit_defaults(book: Book, actor: str, now: str) -> Book:
    """`book` with every missing audit field filled in (as if `actor` wrote it `now`)."""
    defaults = {"created_at": now, "updated_at": now, "created_by": actor, "updated_by": actor}
    return {**book, **{name: value for name, value in defaults.items() if name not in book}}


def utc_now() -> str:
    """The current time as ISO 8601 UTC with milliseconds (`2024-05-01T12:00:00.000Z`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_size(book: Book) -> None:
    """Raise if the stored form of `book` would pass the item size limit."""
    if len(dumps(book).encode("utf-8")) > MAX_BOOK_BYTES:
        raise ValidationFailed(f"Book is larger than {MAX_BOOK_BYTES // 1024} KB")

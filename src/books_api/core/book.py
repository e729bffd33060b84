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
MAX_NESTING = 30  # DynamoDB allows 32 levels; the book itself is one of them
ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
AUDIT_FIELDS = frozenset({"created_at", "updated_at", "created_by", "updated_by"})
RESERVED_ATTRIBUTES = frozenset({"book_id", "version"}) | AUDIT_FIELDS


def check_text(value: Any, field: str) -> str:
    """A string that UTF-8 can encode (JSON lets lone surrogates such as `\\ud800` through)."""
    if not isinstance(value, str):
        raise ValidationFailed(f"Field '{field}' must be a string")
    if value.isascii():
        return value
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
    return _check_book(body, managed_allowed=False)


def check_stored_book(record: Any) -> Book:
    """Validate a book as stored or exported: managed fields are allowed and type-checked."""
    return _check_book(record, managed_allowed=True)


def _check_book(body: Any, managed_allowed: bool) -> Book:
    if not isinstance(body, dict):
        raise ValidationFailed("Request body must be a JSON object")
    if "book_id" not in body:
        raise ValidationFailed("Missing required field: book_id")
    book: Book = {}
    for name, value in body.items():
        if name == "book_id":
            book[name] = check_book_id(value)
        elif managed_allowed and name in RESERVED_ATTRIBUTES:
            book[name] = _check_version(value) if name == "version" else check_text(value, name)
        else:
            if name not in _PLAIN_NAMES_SEEN:
                check_attribute_name(name, field=None)
                if len(_PLAIN_NAMES_SEEN) < 10_000:
                    _PLAIN_NAMES_SEEN.add(name)
            book[name] = check_attribute(name, value)
    check_size(book)
    return book


_PLAIN_NAMES_SEEN: set[str] = set()  # names already found valid (imports repeat them)


def _check_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationFailed("Field 'version' must be a positive integer")
    if value != int(value) or not 1 <= value < 2**63:
        raise ValidationFailed("Field 'version' must be a positive integer")
    return int(value)


def with_audit_defaults(book: Book, actor: str, now: str) -> Book:
    """`book`, its missing audit fields filled in (as if `actor` wrote it `now`), in place."""
    if not AUDIT_FIELDS <= book.keys():
        book.setdefault("created_at", now)
        book.setdefault("updated_at", now)
        book.setdefault("created_by", actor)
        book.setdefault("updated_by", actor)
    return book


def replaced_book(old: Book, new: Book, actor: str, now: str) -> Book:
    """`new` stored in place of `old` by a bulk write (an overwriting import): the next
    version (so every earlier ETag stops matching), `old`'s creation, this write's update."""
    book = {**new, "version": int(old.get("version") or 0) + 1}
    for name in ("created_at", "created_by"):
        if name in old:
            book[name] = old[name]
    book.update(updated_at=now, updated_by=actor)
    check_size(book)
    return book


def utc_now() -> str:
    """The current time as ISO 8601 UTC with milliseconds (`2024-05-01T12:00:00.000Z`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_size(book: Book) -> None:
    """Raise if the stored form of `book` would pass the item size limit."""
    # repr (C speed) bounds the JSON: a character grows to at most 4 UTF-8 bytes, and a
    # number's repr (`Decimal('1E-130')`) to at most 8 times its length.
    if 8 * len(repr(book)) > MAX_BOOK_BYTES and len(dumps(book).encode("utf-8")) > MAX_BOOK_BYTES:
        raise ValidationFailed(f"Book is larger than {MAX_BOOK_BYTES // 1024} KB")

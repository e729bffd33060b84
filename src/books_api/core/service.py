"""The book operations: validated request in, proxy response out, over any `BookStore`."""

from __future__ import annotations

import re
from typing import Any

from books_api.core import cursor
from books_api.core.book import (
    Book,
    check_attribute,
    check_attribute_name,
    check_book_id,
    check_new_book,
    utc_now,
)
from books_api.core.book_store import BookStore
from books_api.core.errors import NotFound, PreconditionFailed, ValidationFailed
from books_api.core.responses import envelope

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class BookService:
    def __init__(self, store: BookStore, cursor_key: bytes | None = None) -> None:
        self.store = store
        self._cursor_key = cursor_key

    @property
    def cursor_key(self) -> bytes:
        """The configured key, else the store's own (fetched once, on the first list)."""
        if self._cursor_key is None:
            self._cursor_key = self.store.default_cursor_key()
        return self._cursor_key

    def list_books(self, limit_text: str | None, next_token: str | None) -> dict[str, Any]:
        limit = _page_size(limit_text)
        start_after = cursor.decode(next_token, self.cursor_key) if next_token else None
        page = self.store.list_page(limit, start_after)
        extra: dict[str, Any] = {}
        if page.last_key is not None:
            extra["next_token"] = cursor.encode(page.last_key, self.cursor_key)
        return envelope(200, page.books, **extra)

    def get_book(self, book_id: Any) -> dict[str, Any]:
        if book_id is None:
            raise ValidationFailed("Missing required parameter: book_id")
        book = self.store.get(check_book_id(book_id))
        if book is None:
            raise NotFound(f"Book with ID {book_id} not found")
        return envelope(200, book, headers=_etag(book))

    def create_book(self, body: Any, actor: str) -> dict[str, Any]:
        book = check_new_book(body)
        now = utc_now()
        book.update(created_at=now, updated_at=now, created_by=actor, updated_by=actor)
        stored = self.store.create(book)
        return envelope(
            201, {"Message": "Book saved successfully", "Item": stored}, headers=_etag(stored)
        )

    def update_book(self, body: Any, actor: str, if_match: str | None) -> dict[str, Any]:
        _require_fields(body, ("book_id", "update_key", "update_value"))
        book_id = check_book_id(body["book_id"])
        name = check_attribute_name(body["update_key"])
        value = check_attribute(name, body["update_value"])
        changes = {name: value, "updated_at": utc_now(), "updated_by": actor}
        stored = self.store.update(book_id, changes, self._expected_version(book_id, if_match))
        updated = {key: stored[key] for key in (*changes, "version")}
        return envelope(
            200,
            {"Message": "Book updated successfully", "UpdatedAttributes": updated},
            headers=_etag(stored),
        )

    def _expected_version(self, book_id: str, if_match: str | None) -> int | None:
        """The version `If-Match` demands (None when absent or `*`); 412 if none can match.

        With several tags, the one equal to the current version is the one the write is
        made conditional on, so a change in between still answers 412.
        """
        if if_match is None or if_match.strip() == "*":
            return None
        versions = _tag_versions(if_match)
        if len(versions) > 1:
            current = self.store.get(book_id)
            if current is None:
                raise NotFound(f"Book with ID {book_id} not found")
            versions = [version for version in versions if version == current.get("version")]
        if not versions:
            raise PreconditionFailed("If-Match does not match the current version")
        return versions[0]

    def delete_book(self, body: Any, if_match: str | None) -> dict[str, Any]:
        _require_fields(body, ("book_id",))
        book_id = check_book_id(body["book_id"])
        deleted = self.store.delete(book_id, self._expected_version(book_id, if_match))
        return envelope(
            200,
            {"Message": "Book deleted successfully", "DeletedItem": deleted},
            headers=_etag(deleted),
        )


def _require_fields(body: Any, fields: tuple[str, ...]) -> None:
    if not isinstance(body, dict):
        raise ValidationFailed("Request body must be a JSON object")
    missing = [field for field in fields if field not in body]
    if missing:
        raise ValidationFailed("Missing required fields: " + ", ".join(missing))


def _page_size(text: str | None) -> int:
    if text is None:
        return DEFAULT_PAGE_SIZE
    if not re.fullmatch(r"[0-9]{1,4}", text) or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"Parameter 'limit' must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(text)


def _etag(book: Book) -> dict[str, str]:
    # Items written to the table by other tools may have no version yet: "0".
    return {"ETag": f'"{book.get("version", 0)}"'}


def _tag_versions(if_match: str) -> list[int]:
    """The versions named by an `If-Match` list (`"3"`, `"3", "4"`); a tag that cannot be
    a version never matches, so it is dropped."""
    versions = []
    for tag in if_match.split(","):
        match = re.fullmatch(r'\s*(?:W/)?"?([0-9]{1,18})"?\s*', tag)
        if match is not None:
            versions.append(int(match.group(1)))
    return versions

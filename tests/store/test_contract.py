"""The `BookStore` contract: the same tests for SQLite, moto in-process and moto_server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from books_api.core.book_store import BookStore
from books_api.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from books_api.store.seed import seed_books


def all_pages(store: BookStore, limit: int, max_bytes: int | None = None) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = (
            store.list_page(limit, after)
            if max_bytes is None
            else store.list_page(limit, after, max_bytes=max_bytes)
        )
        pages.append([book["book_id"] for book in page.books])
        if page.last_key is None:
            return pages
        assert page.last_key == page.books[-1]["book_id"]
        after = page.last_key


def test_created_book_reads_back_with_version_1_and_exact_numbers(store: BookStore) -> None:
    book = {
        "book_id": "a",
        "price": Decimal("12.99"),
        "pages": Decimal(320),
        "ratio": Decimal("0.1"),
        "big": Decimal("12345678901234567890123456789012345678"),
        "languages": ["English", "French"],
        "meta": {"isbn": "978-0", "flags": [True, None]},
    }
    created = store.create(book)
    assert created == {**book, "version": 1}
    stored = store.get("a")
    assert stored == {**book, "version": 1}
    assert stored is not None and str(stored["price"]) == "12.99"


def test_get_of_missing_book_is_none(store: BookStore) -> None:
    assert store.get("missing") is None


def test_create_with_existing_id_conflicts_and_keeps_the_original(store: BookStore) -> None:
    store.create({"book_id": "a", "name": "First"})
    with pytest.raises(Conflict):
        store.create({"book_id": "a", "name": "Second"})
    assert store.get("a") == {"book_id": "a", "name": "First", "version": 1}


def test_update_applies_changes_and_increments_version(store: BookStore) -> None:
    store.create({"book_id": "a", "name": "Old", "price": Decimal(1)})
    updated = store.update("a", {"name": "New", "updated_by": "alice"})
    assert updated == {
        "book_id": "a",
        "name": "New",
        "price": Decimal(1),
        "updated_by": "alice",
        "version": 2,
    }
    assert store.get("a") == updated
    assert store.update("a", {"price": Decimal("2.50")})["version"] == 3


def test_update_and_delete_of_missing_book_raise_not_found(store: BookStore) -> None:
    with pytest.raises(NotFound):
        store.update("missing", {"name": "x"})
    with pytest.raises(NotFound):
        store.delete("missing")
    with pytest.raises(NotFound):
        store.update("missing", {"name": "x"}, expected_version=1)
    assert store.get("missing") is None


def test_expected_version_mismatch_changes_nothing(store: BookStore) -> None:
    store.create({"book_id": "a", "name": "First"})
    with pytest.raises(PreconditionFailed):
        store.update("a", {"name": "Second"}, expected_version=7)
    with pytest.raises(PreconditionFailed):
        store.delete("a", expected_version=7)
    assert store.get("a") == {"book_id": "a", "name": "First", "version": 1}


def test_matching_expected_version_allows_update_then_delete(store: BookStore) -> None:
    store.create({"book_id": "a", "name": "First"})
    assert store.update("a", {"name": "Second"}, expected_version=1)["version"] == 2
    deleted = store.delete("a", expected_version=2)
    assert deleted == {"book_id": "a", "name": "Second", "version": 2}
    assert store.get("a") is None


def test_update_that_would_pass_400_kb_is_rejected_and_changes_nothing(store: BookStore) -> None:
    store.create({"book_id": "a", "blob1": "x" * 300_000})
    with pytest.raises(ValidationFailed, match="400 KB"):
        store.update("a", {"blob2": "y" * 150_000})
    stored = store.get("a")
    # (moto bumps `version` before it checks the size; DynamoDB applies all or nothing)
    assert stored is not None and "blob2" not in stored and len(stored["blob1"]) == 300_000


def test_pages_cover_every_book_exactly_once(store: BookStore) -> None:
    ids = [f"{i:03d}" for i in range(25)]
    counts = store.write_many({"book_id": book_id} for book_id in reversed(ids))
    assert (counts.written, counts.skipped) == (25, 0)
    pages = all_pages(store, 10)
    assert [len(page) for page in pages[:2]] == [10, 10]
    seen = [book_id for page in pages for book_id in page]
    assert sorted(seen) == ids
    assert len(seen) == len(set(seen))


def test_page_resumes_after_a_book_deleted_since(store: BookStore) -> None:
    store.write_many({"book_id": f"{i:02d}"} for i in range(12))
    first = store.list_page(5)
    assert first.last_key is not None
    store.delete(first.last_key)
    rest = all_pages_after(store, first.last_key)
    assert sorted([*(b["book_id"] for b in first.books[:-1]), *rest]) == sorted(
        f"{i:02d}" for i in range(12) if f"{i:02d}" != first.last_key
    )


def all_pages_after(store: BookStore, after: str) -> list[str]:
    seen: list[str] = []
    cursor: str | None = after
    while cursor is not None:
        page = store.list_page(4, cursor)
        seen += [book["book_id"] for book in page.books]
        cursor = page.last_key
    return seen


def test_pages_stop_before_the_byte_limit(store: BookStore) -> None:
    store.write_many({"book_id": f"{i:02d}", "text": "z" * 1000} for i in range(20))
    pages = all_pages(store, 100, max_bytes=5000)
    assert all(1 <= len(page) <= 4 for page in pages)
    assert sorted(book_id for page in pages for book_id in page) == [f"{i:02d}" for i in range(20)]


def test_a_book_larger_than_the_byte_limit_still_gets_its_own_page(store: BookStore) -> None:
    store.write_many({"book_id": f"{i}", "text": "z" * 3000} for i in range(3))
    pages = all_pages(store, 100, max_bytes=1000)
    assert [len(page) for page in pages] == [1, 1, 1]


def test_write_many_skips_existing_unless_overwrite(store: BookStore) -> None:
    store.create({"book_id": "1", "name": "mine"})
    counts = store.write_many(seed_books())
    assert (counts.written, counts.skipped) == (4, 1)
    assert store.get("1") == {"book_id": "1", "name": "mine", "version": 1}
    counts = store.write_many(seed_books(), overwrite=True)
    assert counts.written == 5
    book = store.get("1")
    assert book is not None and book["name"] == "The Midnight Library"


def test_write_many_keeps_given_versions_and_defaults_to_1(store: BookStore) -> None:
    store.write_many([{"book_id": "a", "version": 7}, {"book_id": "b"}])
    assert store.get("a") == {"book_id": "a", "version": 7}
    assert store.get("b") == {"book_id": "b", "version": 1}


def test_write_many_in_many_batches_writes_everything(store: BookStore) -> None:
    counts = store.write_many({"book_id": f"b{i:04d}", "n": Decimal(i)} for i in range(260))
    assert counts.written == 260
    books = {book["book_id"]: book for book in store.scan_all()}
    assert len(books) == 260
    assert books["b0259"]["n"] == Decimal(259)


def test_scan_all_streams_every_book(store: BookStore) -> None:
    store.write_many(seed_books())
    assert sorted(book["book_id"] for book in store.scan_all()) == ["1", "2", "3", "4", "5"]


def test_is_empty_until_the_first_book(store: BookStore) -> None:
    assert store.is_empty()
    store.create({"book_id": "a"})
    assert not store.is_empty()


def test_default_cursor_key_is_stable_and_secret_sized(store: BookStore) -> None:
    key = store.default_cursor_key()
    assert len(key) >= 32
    assert store.default_cursor_key() == key


def test_updates_through_two_handles_both_count(store: BookStore) -> None:
    """The version is incremented by the store, not computed from a value read earlier."""
    store.create({"book_id": "a"})
    seen_by_first = store.get("a")
    store.update("a", {"name": "one"})
    store.update("a", {"author": "two"})
    assert seen_by_first is not None and seen_by_first["version"] == 1
    assert store.get("a") == {"book_id": "a", "name": "one", "author": "two", "version": 3}

"""The SQLite store on real files: durability across reopen, atomic writes, key order."""

from __future__ import annotations

import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from books_api.core.errors import Conflict, NotFound, PreconditionFailed
from books_api.store.seed import seed_books
from books_api.store.sqlite import SQLiteBookStore


@pytest.fixture
def store(tmp_path: Path) -> SQLiteBookStore:
    return SQLiteBookStore(tmp_path / "books.db")


def test_writes_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "books.db"
    first = SQLiteBookStore(path)
    first.create({"book_id": "a", "price": Decimal("12.99")})
    first.update("a", {"name": "Alpha"})
    first.create({"book_id": "b"})
    first.delete("b")
    first.close()
    reopened = SQLiteBookStore(path)
    assert reopened.get("a") == {
        "book_id": "a",
        "price": Decimal("12.99"),
        "name": "Alpha",
        "version": 2,
    }
    assert reopened.get("b") is None
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_file_is_in_wal_mode(store: SQLiteBookStore) -> None:
    store.create({"book_id": "a"})
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_create_existing_id_raises_conflict_and_keeps_the_original(store: SQLiteBookStore) -> None:
    store.create({"book_id": "a", "name": "First"})
    with pytest.raises(Conflict):
        store.create({"book_id": "a", "name": "Second"})
    assert store.get("a") == {"book_id": "a", "name": "First", "version": 1}


def test_update_and_delete_of_missing_book_raise_not_found(store: SQLiteBookStore) -> None:
    with pytest.raises(NotFound):
        store.update("missing", {"name": "x"})
    with pytest.raises(NotFound):
        store.delete("missing")


def test_expected_version_mismatch_changes_nothing(store: SQLiteBookStore) -> None:
    store.create({"book_id": "a", "name": "First"})
    with pytest.raises(PreconditionFailed):
        store.update("a", {"name": "Second"}, expected_version=7)
    with pytest.raises(PreconditionFailed):
        store.delete("a", expected_version=7)
    assert store.get("a") == {"book_id": "a", "name": "First", "version": 1}


def test_concurrent_updates_are_never_lost(store: SQLiteBookStore) -> None:
    store.create({"book_id": "a"})
    writers, per_writer = 8, 25

    def write(index: int) -> None:
        for step in range(per_writer):
            store.update("a", {f"w{index}": Decimal(step)})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    book = store.get("a")
    assert book is not None
    assert book["version"] == 1 + writers * per_writer
    assert all(book[f"w{i}"] == per_writer - 1 for i in range(writers))


def test_pages_follow_key_order_without_gaps(store: SQLiteBookStore) -> None:
    ids = [f"{i:03d}" for i in range(25)]
    store.write_many({"book_id": book_id} for book_id in reversed(ids))
    seen: list[str] = []
    after = None
    while True:
        page = store.list_page(10, after)
        seen += [book["book_id"] for book in page.books]
        if page.last_key is None:
            break
        after = page.last_key
    assert seen == ids


def test_write_many_skips_existing_unless_overwrite(store: SQLiteBookStore) -> None:
    store.create({"book_id": "1", "name": "mine"})
    counts = store.write_many(seed_books())
    assert (counts.written, counts.skipped) == (4, 1)
    assert store.get("1") == {"book_id": "1", "name": "mine", "version": 1}
    counts = store.write_many(seed_books(), overwrite=True)
    assert counts.written == 5
    book = store.get("1")
    assert book is not None and book["name"] == "The Midnight Library"


def test_seed_books_load_as_in_the_article() -> None:
    books = {book["book_id"]: book for book in seed_books()}
    assert sorted(books) == ["1", "2", "3", "4", "5"]
    assert books["5"]["price"] == Decimal("18.5")
    assert books["3"]["languages"] == ["English", "Italian", "Portuguese"]

"""What only the SQLite store promises, on real files: durability across reopen, WAL, atomic
writes from many threads, key order. (tests/store/test_contract.py covers the common rules.)"""

from __future__ import annotations

import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

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


def test_seed_books_load_as_in_the_article() -> None:
    books = {book["book_id"]: book for book in seed_books()}
    assert sorted(books) == ["1", "2", "3", "4", "5"]
    assert books["5"]["price"] == Decimal("18.5")
    assert books["3"]["languages"] == ["English", "Italian", "Portuguese"]

"""The embedded store: one SQLite file in WAL mode, durable once a write is acknowledged."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from books_api.core import codec
from books_api.core.book import Book, check_size
from books_api.core.book_store import MAX_PAGE_BYTES, ImportCounts, Page
from books_api.core.errors import Conflict, NotFound, PreconditionFailed
from books_api.core.responses import payload_bytes

SCHEMA = """
CREATE TABLE IF NOT EXISTS books (
    book_id TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL,
    doc     TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) WITHOUT ROWID;
"""
BATCH_SIZE = 5000
SCAN_CHUNK = 2000
Row = tuple[str, int, str]  # book_id, version, the book as JSON


class SQLiteBookStore:
    """A `BookStore` on a SQLite file; one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._write() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT OR IGNORE INTO store_meta (name, value) VALUES ('cursor_key', ?)",
                (secrets.token_bytes(32),),
            )

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it is acknowledged (NORMAL may lose the last
        # transactions on power loss in WAL mode).
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=30000")
        return db

    def _write(self) -> _Transaction:
        return _Transaction(self._db())

    def get(self, book_id: str) -> Book | None:
        row = self._db().execute("SELECT doc FROM books WHERE book_id = ?", (book_id,)).fetchone()
        return _load(row[0]) if row else None

    def create(self, book: Book) -> Book:
        stored = {**book, "version": 1}
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO books (book_id, version, doc) VALUES (?, 1, ?)",
                    (book["book_id"], codec.dumps(stored)),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"Book with ID {book['book_id']} already exists") from None
        return stored

    def update(
        self, book_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> Book:
        with self._write() as db:
            current = self._current(db, book_id, expected_version)
            stored = {**current, **changes, "version": int(current.get("version", 0)) + 1}
            check_size(stored)
            db.execute(
                "UPDATE books SET version = ?, doc = ? WHERE book_id = ?",
                (stored["version"], codec.dumps(stored), book_id),
            )
        return stored

    def delete(self, book_id: str, expected_version: int | None = None) -> Book:
        with self._write() as db:
            current = self._current(db, book_id, expected_version)
            db.execute("DELETE FROM books WHERE book_id = ?", (book_id,))
        return current

    @staticmethod
    def _current(db: sqlite3.Connection, book_id: str, expected_version: int | None) -> Book:
        row = db.execute("SELECT doc FROM books WHERE book_id = ?", (book_id,)).fetchone()
        if row is None:
            raise NotFound(f"Book with ID {book_id} not found")
        current = _load(row[0])
        if expected_version is not None and current.get("version") != expected_version:
            raise PreconditionFailed(f"Book with ID {book_id} has changed (If-Match failed)")
        return current

    def list_page(
        self, limit: int, start_after: str | None = None, max_bytes: int = MAX_PAGE_BYTES
    ) -> Page:
        # Keyset pagination on the primary key: the cost of a page does not grow with depth.
        if start_after is None:
            rows = self._db().execute(
                "SELECT doc FROM books ORDER BY book_id LIMIT ?", (limit + 1,)
            )
        else:
            rows = self._db().execute(
                "SELECT doc FROM books WHERE book_id > ? ORDER BY book_id LIMIT ?",
                (start_after, limit + 1),
            )
        books: list[Book] = []
        size = 0
        for (doc,) in rows:
            size += payload_bytes(doc)
            if len(books) == limit or (books and size > max_bytes):
                rows.close()
                return Page(books, books[-1]["book_id"])
            books.append(_load(doc))
        return Page(books, None)

    def write_many(self, books: Iterable[Book], overwrite: bool = False) -> ImportCounts:
        """One transaction per batch of `BATCH_SIZE` books."""
        return self.write_encoded((encode_row(book) for book in books), overwrite)

    def write_encoded(self, rows: Iterable[Row], overwrite: bool = False) -> ImportCounts:
        """`write_many` for books already encoded by `encode_row` (e.g. in other processes)."""
        counts = ImportCounts()
        verb = "INSERT OR REPLACE" if overwrite else "INSERT OR IGNORE"
        sql = f"{verb} INTO books (book_id, version, doc) VALUES (?, ?, ?)"
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                _write_batch(self._db(), sql, batch, counts)
                batch = []
        if batch:
            _write_batch(self._db(), sql, batch, counts)
        return counts

    def scan_all(self) -> Iterator[Book]:
        # Keyset chunks: no read transaction stays open while the caller works.
        after = ""
        while True:
            rows = (
                self._db()
                .execute(
                    "SELECT book_id, doc FROM books WHERE book_id > ? ORDER BY book_id LIMIT ?",
                    (after, SCAN_CHUNK),
                )
                .fetchall()
            )
            for _, doc in rows:
                yield _load(doc)
            if len(rows) < SCAN_CHUNK:
                return
            after = rows[-1][0]

    def default_cursor_key(self) -> bytes:
        """A random key made once per database file, shared by every process using it."""
        row = (
            self._db().execute("SELECT value FROM store_meta WHERE name = 'cursor_key'").fetchone()
        )
        return bytes(row[0])

    def is_empty(self) -> bool:
        return self._db().execute("SELECT 1 FROM books LIMIT 1").fetchone() is None

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT` (or `ROLLBACK`): writers are serialized, reads consistent."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _load(doc: str) -> Book:
    book: Book = codec.loads(doc)
    if "version" in book:
        book["version"] = int(book["version"])  # not Decimal("1E+1") in an ETag
    return book


def encode_row(book: Book) -> Row:
    """The row that stores `book` (version 1 unless it has one)."""
    if "version" not in book:
        book = {**book, "version": 1}
    return book["book_id"], int(book["version"]), codec.dumps(book)


def _write_batch(db: sqlite3.Connection, sql: str, batch: list[Row], counts: ImportCounts) -> None:
    with _Transaction(db):
        before = db.total_changes
        db.executemany(sql, batch)
        written = db.total_changes - before
    counts.written += written
    counts.skipped += len(batch) - written

"""The embedded store: one SQLite file in WAL mode, durable once a write is acknowledged.

Faults answer as the store being unavailable, never as a bug: a lock held past the busy
timeout (503), a read-only file or directory (reads work, writes 503), no space left or
the size limit reached (writes 507, reads work), a file that cannot be opened or read (503).
Opening the store writes nothing unless its tables are missing, so a read-only file serves.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from books_api.core import codec
from books_api.core.book import Book, check_size, replaced_book
from books_api.core.book_store import MAX_PAGE_BYTES, ImportCounts, Page, WriteRun
from books_api.core.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
)
from books_api.core.responses import payload_bytes

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS books (
        book_id    TEXT PRIMARY KEY NOT NULL,
        version    INTEGER NOT NULL,
        doc        TEXT NOT NULL,
        import_run TEXT
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS store_meta (
        name  TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL
    ) WITHOUT ROWID""",
)
BATCH_SIZE = 5000
SCAN_CHUNK = 2000
LOOKUP_CHUNK = 500  # ids per `IN (...)`: well under SQLite's limit on parameters
# Under the books function's 10 s timeout, so a lock held too long answers 503, not a timeout.
BUSY_TIMEOUT_MS = 5000
Row = tuple[str, int, str]  # book_id, version, the book as JSON

# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _FULL = 5, 6, 8, 13
_UNAVAILABLE = {3, 10, 11, 14, 15, 26}  # PERM, IOERR, CORRUPT, CANTOPEN, PROTOCOL, NOTADB
_CANTOPEN = 14


class SQLiteBookStore:
    """A `BookStore` on a SQLite file; one connection per thread.

    `max_bytes` limits the file's size (SQLite's `max_page_count`): past it, writes fail as
    on a full disk while reads go on.
    """

    def __init__(self, path: str | Path, max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with translated_errors():
            if not self.path.parent.is_dir():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._db()
            if not _schema_ready(db):
                with _Transaction(db):
                    _create_schema(db)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if _code(error) != _READONLY:  # (read-only, not in WAL mode yet: read it as it is)
                db.close()
                if _code(error) != _CANTOPEN or not self.path.is_file():
                    raise
                db = self._connect_immutable()
        # FULL: a commit is on disk before it is acknowledged (NORMAL may lose the last
        # transactions on power loss in WAL mode).
        db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if self.max_bytes is not None:
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            db.execute(f"PRAGMA max_page_count={max(1, self.max_bytes // page_size)}")
        return db

    def _connect_immutable(self) -> sqlite3.Connection:
        """A WAL database in a directory this process cannot write (so no -shm file can be
        made beside it) can only be read as immutable, which is what it is to this process."""
        return sqlite3.connect(
            self.path.resolve().as_uri() + "?immutable=1",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )

    def _write(self) -> _Transaction:
        return _Transaction(self._db())

    def get(self, book_id: str) -> Book | None:
        with translated_errors():
            row = (
                self._db().execute("SELECT doc FROM books WHERE book_id = ?", (book_id,)).fetchone()
            )
        return _load(row[0]) if row else None

    def create(self, book: Book) -> Book:
        stored = {**book, "version": 1}
        try:
            with translated_errors(), self._write() as db:
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
        with translated_errors(), self._write() as db:
            current = self._current(db, book_id, expected_version)
            stored = {**current, **changes, "version": int(current.get("version", 0)) + 1}
            check_size(stored)
            db.execute(
                "UPDATE books SET version = ?, doc = ? WHERE book_id = ?",
                (stored["version"], codec.dumps(stored), book_id),
            )
        return stored

    def delete(self, book_id: str, expected_version: int | None = None) -> Book:
        with translated_errors(), self._write() as db:
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
        with translated_errors():
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

    def write_many(
        self,
        books: Iterable[Book],
        overwrite: bool = False,
        run: WriteRun | None = None,
        counts: ImportCounts | None = None,
    ) -> ImportCounts:
        """One transaction per batch of `BATCH_SIZE` books (see `BookStore.write_many`)."""
        return self.write_encoded((encode_row(book) for book in books), overwrite, run, counts)

    def write_encoded(
        self,
        rows: Iterable[Row],
        overwrite: bool = False,
        run: WriteRun | None = None,
        counts: ImportCounts | None = None,
    ) -> ImportCounts:
        """`write_many` for books already encoded by `encode_row` (e.g. in other processes)."""
        run = run or WriteRun()
        counts = ImportCounts() if counts is None else counts
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                counts.add(self._write_batch(batch, overwrite, run))
                batch = []
        if batch:
            counts.add(self._write_batch(batch, overwrite, run))
        return counts

    def _write_batch(self, batch: list[Row], overwrite: bool, run: WriteRun) -> ImportCounts:
        with translated_errors(), self._write() as db:
            return _settle_batch(db, batch, overwrite, run)

    def scan_all(self) -> Iterator[Book]:
        # Keyset chunks: no read transaction stays open while the caller works.
        after = ""
        while True:
            with translated_errors():
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
        with translated_errors():
            row = (
                self._db()
                .execute("SELECT value FROM store_meta WHERE name = 'cursor_key'")
                .fetchone()
            )
        return bytes(row[0])

    def is_empty(self) -> bool:
        with translated_errors():
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
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._roll_back()
                raise
        self._roll_back()

    def _roll_back(self) -> None:
        # SQLite may have rolled back already (a full disk, say): then there is nothing left.
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")


@contextmanager
def translated_errors() -> Iterator[None]:
    """SQLite faults as the store being unavailable; an error of ours stays one."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as error:
        code = _code(error)
        name = getattr(error, "sqlite_errorname", "") or type(error).__name__
        if code in (_BUSY, _LOCKED):
            raise StoreUnavailable(
                "The book store is unavailable: the database stayed locked by another writer; "
                "please retry",
                "busy",
            ) from error
        if code == _READONLY:
            raise StoreReadOnly(
                "The book store is unavailable for writes: it is read-only (reads still work)"
            ) from error
        if code == _FULL:
            raise StoreFull(
                "The book store is unavailable for writes: it is out of space "
                "(reads still work; nothing was written)"
            ) from error
        if code in _UNAVAILABLE:
            raise StoreUnavailable(
                f"The book store is unavailable: the database cannot be used ({name})"
            ) from error
        raise
    except OSError as error:  # the directory cannot be made
        raise StoreUnavailable(
            f"The book store is unavailable: its directory cannot be used ({error.strerror})"
        ) from error


def _code(error: sqlite3.Error) -> int:
    return int(getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def _schema_ready(db: sqlite3.Connection) -> bool:
    """True when the tables are there as this version needs them (checked by reading)."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"books", "store_meta"} <= tables:
        return False
    columns = {row[1] for row in db.execute("PRAGMA table_info(books)")}
    key = db.execute("SELECT 1 FROM store_meta WHERE name = 'cursor_key'").fetchone()
    return "import_run" in columns and key is not None


def _create_schema(db: sqlite3.Connection) -> None:
    for statement in SCHEMA:
        db.execute(statement)
    columns = {row[1] for row in db.execute("PRAGMA table_info(books)")}
    if "import_run" not in columns:  # a file made before imports kept their run
        db.execute("ALTER TABLE books ADD COLUMN import_run TEXT")
    db.execute(
        "INSERT OR IGNORE INTO store_meta (name, value) VALUES ('cursor_key', ?)",
        (secrets.token_bytes(32),),
    )


def _settle_batch(
    db: sqlite3.Connection, batch: list[Row], overwrite: bool, run: WriteRun
) -> ImportCounts:
    """Write one batch inside the caller's transaction; return what happened to each book."""
    stored = _stored_runs(db, [row[0] for row in batch], with_docs=overwrite)
    step = ImportCounts(done=len(batch))
    inserts: list[tuple[str, int, str, str]] = []
    updates: list[tuple[int, str, str, str]] = []
    for book_id, version, doc in batch:
        found = stored.get(book_id)
        if found is None:
            inserts.append((book_id, version, doc, run.run_id))
            step.created += 1
        elif found[0] == run.run_id:
            step.already += 1
            continue
        elif not overwrite:
            step.skipped += 1
            continue
        else:
            book = replaced_book(_load(found[1]), codec.loads(doc), run.actor, run.at)
            updates.append((book["version"], codec.dumps(book), run.run_id, book_id))
            step.replaced += 1
        stored[book_id] = (run.run_id, "")
    db.executemany(
        "INSERT INTO books (book_id, version, doc, import_run) VALUES (?, ?, ?, ?)", inserts
    )
    db.executemany(
        "UPDATE books SET version = ?, doc = ?, import_run = ? WHERE book_id = ?", updates
    )
    return step


def _stored_runs(
    db: sqlite3.Connection, book_ids: list[str], with_docs: bool
) -> dict[str, tuple[str | None, str]]:
    """For each of `book_ids` that is stored: the run that last wrote it (and its JSON)."""
    found: dict[str, tuple[str | None, str]] = {}
    doc = "doc" if with_docs else "''"
    for start in range(0, len(book_ids), LOOKUP_CHUNK):
        part = book_ids[start : start + LOOKUP_CHUNK]
        marks = ",".join("?" * len(part))
        sql = f"SELECT book_id, import_run, {doc} FROM books WHERE book_id IN ({marks})"
        for book_id, run_id, text in db.execute(sql, part):
            found[book_id] = (run_id, text)
    return found


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

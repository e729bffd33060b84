"""`books-api import` killed (SIGKILL) at random points, then run again: the harness that
bench/integrity.py (200,000 books into SQLite, 20,000 into DynamoDB on moto_server) and
tests/store/test_killed_imports.py (a short version of each) share.

A run is one import command until it prints its summary: each time it is killed before, the
same command is started again and resumes it (a kill that lands after the summary ends the
run; the harness tells by the run's record in $BOOKS_API_HOME/import-runs). Each kill waits
until the store shows a random share of the run's work done (books at the run's version),
so kills land while books are being written. After the last start the store must hold
exactly the file's books, each once, each equal to its line in the file, each at version
1 + the number of `--overwrite` runs so far.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from books_api.core import codec
from books_api.core.book import AUDIT_FIELDS, Book, check_stored_book
from books_api.core.errors import ValidationFailed

KILL_SHARE = (0.02, 0.85)  # where in a run the kills fall (share of the run's books)
EXIT_GRACE_S = 10.0  # how long a killed import's worker processes may take to follow it


class Store(Protocol):
    """The store an import writes to, as the harness sees it."""

    @property
    def options(self) -> list[str]:
        """books-api's store options."""

    def at_version(self, version: int) -> int:
        """How many books are at `version` or later (cheap enough to poll)."""

    def books(self) -> Iterator[Book]:
        """Every stored book, as the store gives it."""


@dataclass
class SQLiteStore:
    db: Path

    @property
    def options(self) -> list[str]:
        return ["--db", str(self.db)]

    def at_version(self, version: int) -> int:
        if not self.db.exists():
            return 0
        with sqlite3.connect(f"{self.db.as_uri()}?mode=ro", uri=True, timeout=5) as db:
            try:
                row = db.execute("SELECT count(*) FROM books WHERE version >= ?", (version,))
            except sqlite3.OperationalError:  # no table yet
                return 0
            return int(row.fetchone()[0])

    def books(self) -> Iterator[Book]:
        from books_api.store.sqlite import SQLiteBookStore

        store = SQLiteBookStore(self.db)
        try:
            yield from store.scan_all()
        finally:
            store.close()


@dataclass
class DynamoDBStore:
    endpoint: str
    table: str
    region: str = "us-east-1"
    client: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        import boto3

        self.client = boto3.client(
            "dynamodb",
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    @property
    def options(self) -> list[str]:
        # (the region comes from AWS_DEFAULT_REGION in `environment`)
        return ["--store", "dynamodb", "--table", self.table, "--endpoint-url", self.endpoint]

    def at_version(self, version: int) -> int:
        try:
            if version == 1:  # moto counts the items as they are written
                return int(self.client.describe_table(TableName=self.table)["Table"]["ItemCount"])
            request: dict[str, Any] = {
                "TableName": self.table,
                "Select": "COUNT",
                "FilterExpression": "#v >= :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(version)}},
            }
            count = 0
            while True:
                page = self.client.scan(**request)
                count += int(page["Count"])
                if "LastEvaluatedKey" not in page:
                    return count
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except self.client.exceptions.ResourceNotFoundException:
            return 0

    def books(self) -> Iterator[Book]:
        from books_api.store.dynamodb import DynamoDBBookStore

        yield from DynamoDBBookStore(self.table, client=self.client).scan_all()


@dataclass
class Start:
    """One start of an import command: killed, or run to its end."""

    killed: bool
    ended: bool  # the run ended in this start (its record is gone): the next start is a new run
    books_before: int  # books at the run's version when it started
    books_after: int  # ... when it ended
    exit_status: int | None = None  # None when killed
    stderr: str = ""
    left_behind: int = 0  # processes of the killed import still alive after EXIT_GRACE_S


@dataclass
class Run:
    overwrite: bool
    version: int  # every book's version once the run is done
    starts: list[Start] = field(default_factory=list)

    @property
    def kills(self) -> int:
        """Starts killed before the run ended."""
        return sum(start.killed and not start.ended for start in self.starts)


@dataclass
class Check:
    """The store after a run, against the file."""

    expected: int
    stored: int = 0
    duplicated: int = 0  # an id met twice in the store, or a book a version too far
    missing: int = 0  # a line of the file with no book
    unexpected: int = 0  # a book the file does not hold
    lost_updates: int = 0  # a book behind the run's version
    invalid: int = 0  # not a valid stored book, or not the file's book
    problems: list[str] = field(default_factory=list)  # the first few, for the reader

    @property
    def ok(self) -> bool:
        bad = self.duplicated + self.missing + self.unexpected + self.lost_updates + self.invalid
        return bad == 0 and self.stored == self.expected

    def note(self, text: str) -> None:
        if len(self.problems) < 5:
            self.problems.append(text)


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "BOOKS_API_HOME": str(home), "AWS_DEFAULT_REGION": "us-east-1"}
    env.setdefault("AWS_ACCESS_KEY_ID", "local")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    env.pop("AWS_REGION", None)
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    return env


def import_command(source: Path, store: Store, overwrite: bool) -> list[str]:
    command = [sys.executable, "-m", "books_api.cli", "import", str(source), *store.options]
    if not isinstance(store, SQLiteStore):
        command.append("--create-table")
    return command + (["--overwrite"] if overwrite else [])


def killed_run(
    source: Path,
    store: Store,
    home: Path,
    *,
    overwrite: bool,
    version: int,
    kills: int,
    total: int,
    rng: random.Random,
    poll_s: float = 0.002,
    shares: list[float] | None = None,
) -> Run:
    """One import run started `kills` + 1 times: each start but the last is SIGKILLed once
    the store shows the next random share (or the next of `shares`) of the run's `total`
    books done."""
    run = Run(overwrite, version)
    low, high = KILL_SHARE
    shares = shares or sorted(rng.uniform(low, high) for _ in range(kills))
    command = import_command(source, store, overwrite)
    for share in shares:
        target = max(int(share * total), store.at_version(version) + 1)
        start = _start_and_kill(command, home, store, version, target, total, rng, poll_s)
        run.starts.append(start)
        if start.ended:  # it ended before the kill could land: the run is over
            return run
    before = store.at_version(version)
    done = subprocess.run(command, env=environment(home), capture_output=True, text=True)
    after = store.at_version(version)
    run.starts.append(Start(False, True, before, after, done.returncode, done.stderr))
    return run


def run_kept(home: Path) -> bool:
    """True while an import run stopped before its end is kept (the next start resumes it)."""
    runs = home / "import-runs"
    return runs.is_dir() and any(not path.name.endswith(".new") for path in runs.iterdir())


def _start_and_kill(
    command: list[str],
    home: Path,
    store: Store,
    version: int,
    target: int,
    total: int,
    rng: random.Random,
    poll_s: float,
) -> Start:
    """Start the import; SIGKILL it once `target` books are at `version` (when the store
    holds them all already, at a random moment of its first second instead)."""
    before = store.at_version(version)
    kill_at = time.monotonic() + rng.uniform(0.05, 1.0) if target > total else None
    process = subprocess.Popen(
        command,
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its worker processes share its process group
    )
    interval = poll_s
    while process.poll() is None:
        started = time.monotonic()
        if kill_at is not None and started >= kill_at:
            break
        if kill_at is None and store.at_version(version) >= target:
            break
        # A costly count (a DynamoDB scan) is asked for less often.
        interval = max(poll_s, 4 * (time.monotonic() - started))
        time.sleep(interval)
    if process.poll() is not None:
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
        process.stderr.close()
        after = store.at_version(version)
        return Start(False, not run_kept(home), before, after, process.returncode, stderr)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.stderr is not None
    process.stderr.close()
    left = _left_behind(process.pid)
    ended = not run_kept(home)
    return Start(True, ended, before, store.at_version(version), left_behind=left)


def _left_behind(group: int) -> int:
    """1 if a process of the killed import's group outlives it by EXIT_GRACE_S (then ended)."""
    deadline = time.monotonic() + EXIT_GRACE_S
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return 0
        time.sleep(0.05)
    os.killpg(group, signal.SIGKILL)
    return 1


def file_books(source: Path) -> dict[str, Book]:
    """The books of a JSON Lines file, by id."""
    books: dict[str, Book] = {}
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                book = codec.loads(line)
                books[book["book_id"]] = book
    return books


def check_store(
    store: Store,
    expected: dict[str, Book],
    version: int,
    created: dict[str, str] | None = None,
) -> tuple[Check, dict[str, str]]:
    """The store against the file's books at `version`; with `created`, each book's
    created_at must be the one it had then. Returns the check and each book's created_at."""
    check = Check(len(expected))
    seen: dict[str, str] = {}
    for book in store.books():
        check.stored += 1
        book_id = str(book.get("book_id"))
        if book_id in seen:
            check.duplicated += 1
            check.note(f"{book_id} stored twice")
            continue
        seen[book_id] = str(book.get("created_at"))
        _check_book(check, book, expected.get(book_id), version, created)
    check.missing = sum(1 for book_id in expected if book_id not in seen)
    if check.missing:
        check.note(
            f"{check.missing} books missing, e.g. {next(i for i in expected if i not in seen)}"
        )
    return check, seen


def _check_book(
    check: Check,
    book: Book,
    wanted: Book | None,
    version: int,
    created: dict[str, str] | None,
) -> None:
    book_id = book["book_id"]
    if wanted is None:
        check.unexpected += 1
        check.note(f"{book_id} is not in the file")
        return
    stored_version = int(book.get("version", 0))
    if stored_version < version:
        check.lost_updates += 1
        check.note(f"{book_id} at version {stored_version}, not {version}")
    elif stored_version > version:
        check.duplicated += 1
        check.note(f"{book_id} at version {stored_version}, not {version}: written twice")
    problem = _invalid(book, wanted, created)
    if problem:
        check.invalid += 1
        check.note(f"{book_id}: {problem}")


def _invalid(book: Book, wanted: Book, created: dict[str, str] | None) -> str | None:
    try:
        check_stored_book(book)
    except ValidationFailed as error:
        return error.message
    own = {name: value for name, value in book.items() if name not in AUDIT_FIELDS}
    own.pop("version", None)
    if own != wanted:
        return "differs from its line in the file"
    if book.get("created_by") != "import" or book.get("updated_by") != "import":
        return "audit fields are not the import's"
    if created is not None and book.get("created_at") != created.get(book["book_id"]):
        return "created_at changed on overwrite"
    return None

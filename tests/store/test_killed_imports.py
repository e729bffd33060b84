"""`books-api import` SIGKILLed halfway and run again keeps every book exactly once, and an
`--overwrite` run gives each book exactly one more version however often it is killed (the
long version, 200,000 and 20,000 books killed 10 times a run, is bench/integrity.py).
An import whose DynamoDB endpoint goes down midway says where it stopped and what it wrote."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench.killed_imports import (
    DynamoDBStore,
    SQLiteStore,
    Store,
    check_store,
    environment,
    file_books,
    import_command,
    killed_run,
)
from moto.server import ThreadedMotoServer

from tests.support.server import free_port

SQLITE_BOOKS = 40_000  # eight of the import's 5,000-line tasks
DYNAMODB_BOOKS = 800  # eight BatchGetItem chunks
KILLS = 2
SHARES = [0.05, 0.3]  # killed once the first tasks are in, then once later ones are
# Each kill waits for the store to show progress, so the run's end can outrun it on a busy
# machine: a scenario whose kills did not all land is checked all the same, then played again
# on a fresh store, up to this many times.
ATTEMPTS = 3


def write_books(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            out.write(
                f'{{"book_id":"{index:06d}","name":"Book {index}","author":"A{index % 97}",'
                f'"price":{index % 500}.{index % 100:02d},"tags":["t{index % 7}"]}}\n'
            )
    return path


def killed_runs_keep_every_book_once(
    source: Path, store: Store, home: Path, total: int, poll_s: float, shares: list[float]
) -> bool:
    """An import run, then an `--overwrite` run, each killed KILLS times: asserts what the
    store holds after each; True when every kill landed before its start's end."""
    rng = random.Random(12)  # (unused: the shares are given)
    expected = file_books(source)
    created: dict[str, str] | None = None
    every_kill_landed = True
    for version, overwrite in ((1, False), (2, True)):
        run = killed_run(
            source,
            store,
            home,
            overwrite=overwrite,
            version=version,
            kills=KILLS,
            total=total,
            rng=rng,
            poll_s=poll_s,
            shares=shares,
        )
        killed = run.starts[:-1]
        for start in killed:
            assert start.killed and not start.ended, start
            assert start.left_behind == 0, "a killed import left processes behind"
            assert start.books_before <= start.books_after <= total, start
        last = run.starts[-1]
        if not last.killed:  # (a kill that lands after the summary leaves no exit status)
            assert last.exit_status == 0, last.stderr
        landed = run.kills == KILLS and all(start.books_after < total for start in killed)
        if landed:
            assert any(0 < start.books_after for start in killed), run
            assert "Resuming the import" in last.stderr
        every_kill_landed &= landed
        check, created = check_store(store, expected, version, created)
        assert check.ok, check
    return every_kill_landed


def assert_an_attempt_lands_every_kill(
    source: Path, store_for: Callable[[int], Store], work: Path, total: int, poll_s: float
) -> None:
    assert any(
        killed_runs_keep_every_book_once(
            source, store_for(attempt), work / f"home-{attempt}", total, poll_s, SHARES
        )
        for attempt in range(ATTEMPTS)
    ), f"no attempt of {ATTEMPTS} had its {KILLS} kills land before the run's end"


def test_sqlite_import_killed_twice_a_run_keeps_each_book_once_and_one_version_a_run(
    tmp_path: Path,
) -> None:
    source = write_books(tmp_path / "books.jsonl", SQLITE_BOOKS)
    assert_an_attempt_lands_every_kill(
        source, lambda attempt: SQLiteStore(tmp_path / f"books-{attempt}.db"), tmp_path,
        SQLITE_BOOKS, poll_s=0.001,
    )  # fmt: skip


def test_dynamodb_import_killed_twice_a_run_keeps_each_book_once_and_one_version_a_run(
    tmp_path: Path, moto_endpoint: str, table_name: str
) -> None:
    source = write_books(tmp_path / "books.jsonl", DYNAMODB_BOOKS)
    assert_an_attempt_lands_every_kill(
        source, lambda attempt: DynamoDBStore(moto_endpoint, f"{table_name}-{attempt}"),
        tmp_path, DYNAMODB_BOOKS, poll_s=0.02,
    )  # fmt: skip


STOPPED = re.compile(
    r"^books-api: error: the import stopped at (?P<file>\S+):(?P<line>\d+): cannot reach "
    r"DynamoDB at (?P<endpoint>\S+) .*; so far (?P<created>\d+) created, 0 replaced, "
    r"0 skipped \(id exists\), 0 invalid \(of \d+ records\); run the same command again "
    r"to resume$"
)


def test_an_endpoint_that_goes_down_midway_stops_the_import_with_its_counts_and_line(
    tmp_path: Path, table_name: str
) -> None:
    source = write_books(tmp_path / "books.jsonl", 1000)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    store = DynamoDBStore(f"http://127.0.0.1:{port}", table_name)
    command = import_command(source, store, overwrite=False)
    process = subprocess.Popen(
        command, env=environment(tmp_path / "home"), stderr=subprocess.PIPE, text=True
    )
    try:
        while store.at_version(1) < 300 and process.poll() is None:
            pass  # moto counts items as they are written
        server.stop()  # the endpoint goes down: nothing listens on its port any more
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stderr
    lines = stderr.strip().splitlines()
    assert lines[0] == f"Created DynamoDB table {table_name} in us-east-1"
    assert len(lines) == 2 and "Traceback" not in stderr, stderr
    stopped = STOPPED.match(lines[1])
    assert stopped, lines[1]
    assert stopped["file"] == str(source) and stopped["endpoint"] == store.endpoint
    written, line = int(stopped["created"]), int(stopped["line"])
    assert 300 <= written < 1000
    assert line - 1 <= written  # every book before the line it stopped at was written

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()  # the same endpoint back, with what it held
    try:
        stored = {book["book_id"] for book in store.books()}
        assert {f"{index:06d}" for index in range(line - 1)} <= stored
        assert written <= len(stored) <= written + 8  # + PutItems in flight at the stop
        again = subprocess.run(
            command, env=environment(tmp_path / "home"), capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        assert "Resuming the import" in again.stderr
        check, _ = check_store(store, file_books(source), 1)
        assert check.ok, check
    finally:
        server.stop()


def test_an_interrupted_import_says_so_and_the_same_command_resumes_it(tmp_path: Path) -> None:
    source = write_books(tmp_path / "books.jsonl", SQLITE_BOOKS)
    store = SQLiteStore(tmp_path / "books.db")
    command = import_command(source, store, overwrite=False)
    env = environment(tmp_path / "home")
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    while store.at_version(1) < 1 and process.poll() is None:
        time.sleep(0.001)
    process.send_signal(signal.SIGINT)  # Ctrl+C
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        f"books-api: the import of {source} was interrupted: run the same command again to "
        "resume it"
    ]
    interrupted_at = store.at_version(1)
    assert 0 < interrupted_at < SQLITE_BOOKS
    again = subprocess.run(command, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"; {interrupted_at} already written by this import run" in again.stderr
    check, _ = check_store(store, file_books(source), 1)
    assert check.ok, check

"""Imports that stop halfway are safe to run again: `books-api import` SIGKILLed at random
points, 10 times a run, then the same command run to its end.

1. SQLite: 200,000 books (JSON Lines, so the import's worker processes are on): a plain run,
   then two `--overwrite` runs, each killed 10 times.
2. DynamoDB on moto_server (loopback, a free port): 20,000 books, a plain run then one
   `--overwrite` run, each killed 10 times.
Each kill waits until the store shows a random share (2 % to 85 %) of the run's books
written. After each run the store must hold exactly the file's books: none twice, none
missing, each valid and equal to its line, each at version 1 + the overwrite runs so far
(a book behind is a lost update, a book ahead was written twice), created_at kept. A killed
import must leave no process behind. Writes the "integrity" section of bench/RESULTS.md.

    python bench/integrity.py      # or: make bench
    BENCH_SQLITE_BOOKS=20000 BENCH_DYNAMODB_BOOKS=2000 python bench/integrity.py  # quick
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.killed_imports import (  # noqa: E402
    Check,
    DynamoDBStore,
    Run,
    SQLiteStore,
    Store,
    check_store,
    file_books,
    killed_run,
)
from bench.results import write_section  # noqa: E402
from bench.store import book_line, free_port  # noqa: E402

SQLITE_BOOKS = int(os.environ.get("BENCH_SQLITE_BOOKS", "200000"))
DYNAMODB_BOOKS = int(os.environ.get("BENCH_DYNAMODB_BOOKS", "20000"))
KILLS = 10
WORK = Path(os.environ.get("BENCH_DIR", tempfile.gettempdir())) / "books-api-integrity"
SEED = int(os.environ.get("BENCH_SEED", "2024"))


def books_file(count: int) -> Path:
    path = WORK / f"books-{count}.jsonl"
    if not path.exists():
        with path.open("w", encoding="utf-8") as out:
            for start in range(0, count, 10_000):
                out.write("".join(book_line(i) for i in range(start, min(count, start + 10_000))))
    return path


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    log = (WORK / "moto_server.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                DynamoDBStore(endpoint, "probe").at_version(1)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # its request threads can keep it up
            server.kill()
            server.wait()
        log.close()


Row = tuple[str, Run, Check, float]


def runs_on(
    name: str, store: Store, source: Path, count: int, overwrites: int, poll_s: float
) -> list[Row]:
    """A plain run then `overwrites` overwriting runs, each killed KILLS times, checked."""
    rng = random.Random(f"{SEED}-{name}")
    expected = file_books(source)
    home = WORK / f"home-{name}"
    shutil.rmtree(home, ignore_errors=True)
    rows: list[Row] = []
    created: dict[str, str] | None = None
    for version in range(1, overwrites + 2):
        overwrite = version > 1
        started = time.perf_counter()
        run = killed_run(
            source, store, home, overwrite=overwrite, version=version, kills=KILLS,
            total=count, rng=rng, poll_s=poll_s,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        check, created = check_store(store, expected, version, created)
        label = f"{name}, {'--overwrite ' if overwrite else ''}run {version}"
        rows.append((label, run, check, elapsed))
        print(describe(label, run, check, elapsed), flush=True)
    return rows


def describe(label: str, run: Run, check: Check, elapsed: float) -> str:
    points = [start.books_after for start in run.starts if start.killed]
    last = run.starts[-1]
    return (
        f"{label}: {run.kills} kills (books at the run's version after each: {points}), "
        f"last start exit {last.exit_status}; stored {check.stored} of {check.expected}, "
        f"lost {check.missing + check.lost_updates}, duplicated {check.duplicated}, "
        f"invalid {check.invalid + check.unexpected}, processes left "
        f"{sum(start.left_behind for start in run.starts)}; {elapsed:.0f} s"
        + (f"; problems: {check.problems}" if check.problems else "")
    )


def passed(run: Run, check: Check) -> bool:
    last = run.starts[-1]
    return (
        check.ok
        and run.kills == KILLS
        and last.exit_status == 0
        and not any(start.left_behind for start in run.starts)
    )


def markdown(rows: list[Row]) -> str:
    lines = [
        "## integrity (imports killed and run again)",
        "",
        f"`books-api import` SIGKILLed {KILLS} times a run at random points (each kill once "
        "the store shows a random 2-85 % of the run's books written), then the same command "
        "run to its end; then the store is read back whole against the file. SQLite: "
        f"{SQLITE_BOOKS:,} books (JSON Lines, worker processes on); DynamoDB: "
        f"{DYNAMODB_BOOKS:,} books on moto_server over loopback. Lost = missing books plus "
        "books behind the run's version (a lost update); duplicated = an id stored twice "
        "plus books ahead of it (a book written twice in one run).",
        "",
        "| run | kills | books done at the kills (min-max) | stored / file | lost | "
        "duplicated | invalid | processes left | run took |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, run, check, elapsed in rows:
        points = [start.books_after for start in run.starts if start.killed] or [0]
        lines.append(
            f"| {label} | {run.kills} | {min(points):,}-{max(points):,} | "
            f"{check.stored:,} / {check.expected:,} | {check.missing + check.lost_updates} | "
            f"{check.duplicated} | {check.invalid + check.unexpected} | "
            f"{sum(start.left_behind for start in run.starts)} | {elapsed:.0f} s |"
        )
    kills = sum(run.kills for _, run, _, _ in rows)
    lost = sum(check.missing + check.lost_updates for _, _, check, _ in rows)
    duplicated = sum(check.duplicated for _, _, check, _ in rows)
    lines += [
        "",
        f"Over {kills} kills: **{lost} books or updates lost, {duplicated} duplicated**. "
        "A run killed and started again resumes (the import's run is kept in "
        "`$BOOKS_API_HOME/import-runs/` and each book written carries the run's id), so an "
        "`--overwrite` run gives each book exactly one more version however often it is killed.",
    ]
    return "\n".join(lines)


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    sqlite_source = books_file(SQLITE_BOOKS)
    db = WORK / "books.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    rows = runs_on("SQLite", SQLiteStore(db), sqlite_source, SQLITE_BOOKS, 2, poll_s=0.005)
    dynamodb_source = books_file(DYNAMODB_BOOKS)
    with moto_server() as endpoint:
        store = DynamoDBStore(endpoint, "Books_Integrity")
        rows += runs_on("DynamoDB", store, dynamodb_source, DYNAMODB_BOOKS, 1, poll_s=0.05)
    write_section("integrity", markdown(rows))
    failed = [label for label, run, check, _ in rows if not passed(run, check)]
    if failed:
        print(f"integrity: FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("integrity: 0 lost, 0 duplicated; bench/RESULTS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The SQLite store: bulk import against one insert per transaction, and read latency over
HTTP at 1,000 and 1,000,000 books, side by side in one run.

1. Import: `import_file` (what `books-api import` runs) of N generated books (JSON Lines)
   into a new SQLite file, against a loop of `store.create` (one transaction, one fsync,
   per book) measured on a 2,000-book sample; both reported in books/s.
2. Latency: `books-api serve` over the 1k and the 1M database at once, one keep-alive
   client asking each in turn: `GET /books?limit=100` (first page, and a page 90% deep
   through a next_token) and `GET /book?book_id=` (random ids). Median and p95.
Writes the "store" section of bench/RESULTS.md. Data lives under /tmp (BENCH_DIR).

    python bench/store.py        # or: make bench     (BENCH_BOOKS=100000 for a quick run)
"""

from __future__ import annotations

import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402
from books_api.cli.signing import make_token  # noqa: E402
from books_api.core import cursor  # noqa: E402
from books_api.store.importer import import_file  # noqa: E402
from books_api.store.sqlite import SQLiteBookStore  # noqa: E402

LARGE = int(os.environ.get("BENCH_BOOKS", "1000000"))
SMALL = 1000
LOOP_SAMPLE = 2000
REQUESTS = 300
WORK = Path(os.environ.get("BENCH_DIR", tempfile.gettempdir())) / "books-api-bench"
SECRET = "bench-store-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
LANGUAGES = ["English", "French", "German", "Spanish", "Japanese", "Hindi", "Portuguese"]


def book_line(index: int) -> str:
    languages = '","'.join(LANGUAGES[index % 5 : index % 5 + 2])
    return (
        f'{{"book_id":"{index:08d}","name":"Book number {index}","author":"Author {index % 977}",'
        f'"price":{index % 5000}.{index % 100:02d},"languages":["{languages}"]}}\n'
    )


def generate(count: int) -> Path:
    path = WORK / f"books-{count}.jsonl"
    if not path.exists():
        with path.open("w", encoding="utf-8") as out:
            for start in range(0, count, 10_000):
                out.write("".join(book_line(i) for i in range(start, min(count, start + 10_000))))
    return path


def fresh_db(name: str) -> Path:
    path = WORK / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def bench_import(count: int) -> tuple[Path, float, float]:
    """The database, books/s (wall clock) and CPU microseconds per book (all processes)."""
    source = generate(count)
    db = fresh_db(f"books-{count}.db")
    store = SQLiteBookStore(db)
    cpu = cpu_seconds()
    started = time.perf_counter()
    report = import_file(store, source)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    store.close()
    assert report.written == count and report.invalid == 0, report
    return db, count / elapsed, cpu / count * 1e6


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the import's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def bench_one_insert_per_transaction(sample: int) -> float:
    from books_api.core import codec

    store = SQLiteBookStore(fresh_db("loop.db"))
    books = [codec.loads(book_line(i)) for i in range(sample)]
    started = time.perf_counter()
    for book in books:
        store.create(book)
    elapsed = time.perf_counter() - started
    store.close()
    return sample / elapsed


@contextmanager
def serving(db: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "JWT_SECRET": SECRET, "BOOKS_API_HOME": str(WORK)}
    command = [sys.executable, "-m", "books_api.cli", "serve", "--port", str(port)]
    command += ["--db", str(db), "--access-log", os.devnull]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/prod"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/books?limit=1", headers=headers(), timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("books-api serve did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def headers() -> dict[str, str]:
    return {"authorizationToken": f"Bearer {make_token('bench', 'api_user', 3600, SECRET)}"}


Timings = dict[str, tuple[float, float]]  # request -> (median ms, p95 ms)


def queries(db: Path, count: int) -> dict[str, list[dict[str, str]]]:
    store = SQLiteBookStore(db)
    deep_token = cursor.encode(f"{int(count * 0.9):08d}", store.default_cursor_key())
    store.close()
    rng = random.Random(7)
    return {
        "GET /books first page": [{"limit": "100"}] * REQUESTS,
        "GET /books page 90% deep": [{"limit": "100", "next_token": deep_token}] * REQUESTS,
        "GET /book": [{"book_id": f"{rng.randrange(count):08d}"} for _ in range(REQUESTS)],
    }


def bench_reads(small_db: Path, large_db: Path) -> tuple[Timings, Timings]:
    """Both sizes served at once and asked in turn, so load drifts hit both alike."""
    sides = [(small_db, SMALL), (large_db, LARGE)]
    plans = [queries(db, count) for db, count in sides]
    results: tuple[Timings, Timings] = ({}, {})
    with serving(small_db) as small_url, serving(large_db) as large_url:
        urls = (small_url, large_url)
        with httpx.Client(headers=headers(), timeout=30) as client:
            for name in plans[0]:
                path = "/book" if name == "GET /book" else "/books"
                samples: tuple[list[float], list[float]] = ([], [])
                for index in range(-20, REQUESTS):  # the first 20 rounds warm up
                    for side in (0, 1):
                        query = plans[side][name][max(index, 0)]
                        started = time.perf_counter()
                        response = client.get(urls[side] + path, params=query)
                        elapsed = (time.perf_counter() - started) * 1000
                        assert response.status_code == 200, response.text
                        if index >= 0:
                            samples[side].append(elapsed)
                for side in (0, 1):
                    ordered = sorted(samples[side])
                    results[side][name] = (
                        statistics.median(ordered),
                        ordered[int(len(ordered) * 0.95) - 1],
                    )
    return results


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"import of {LARGE:,} books ...", flush=True)
    large_db, import_rate, import_cpu_us = bench_import(LARGE)
    print(f"  {import_rate:,.0f} books/s, {import_cpu_us:.1f} CPU us/book", flush=True)
    loop_rate = bench_one_insert_per_transaction(LOOP_SAMPLE)
    print(f"one insert per transaction: {loop_rate:,.0f} books/s", flush=True)
    small_db, _, _ = bench_import(SMALL)
    small, large = bench_reads(small_db, large_db)
    rows = []
    for name in small:
        (s50, s95), (l50, l95) = small[name], large[name]
        rows.append(
            f"| {name} | {s50:.2f} / {s95:.2f} | {l50:.2f} / {l95:.2f} | {l50 / s50:.2f}x |"
        )
        print(rows[-1], flush=True)
    markdown = "\n".join(
        [
            "## store (SQLite)",
            "",
            f"Import of {LARGE:,} generated books (JSON Lines, `import_file`, batches of 5,000 "
            f"per transaction; JSON Lines this large are parsed by {os.cpu_count()} worker "
            f"processes): **{import_rate:,.0f} books/s** (target >= 50,000); "
            f"{import_cpu_us:.1f} CPU microseconds per book over all processes, "
            f"load average {os.getloadavg()[0]:.1f} when done.",
            f"Baseline, one insert per transaction (`store.create`, fsync each), measured on a "
            f"{LOOP_SAMPLE:,}-book sample: **{loop_rate:,.0f} books/s** "
            f"({import_rate / loop_rate:,.0f}x slower than the import).",
            "",
            f"Latency over HTTP: `books-api serve` on each database, both running, one "
            f"keep-alive client asking them in turn ({REQUESTS} requests each after 20 to warm "
            "up; median / p95 in ms; limit=100):",
            "",
            f"| request | {SMALL:,} books | {LARGE:,} books | median ratio (target <= 1.5x) |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    write_section("store", markdown)
    print("wrote the store section of bench/RESULTS.md")


if __name__ == "__main__":
    main()

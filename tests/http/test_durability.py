"""Acknowledged writes survive SIGKILL; concurrent writers on one book lose nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from books_api.cli.signing import make_token
from tests.support.books_gateway import RunningGateway
from tests.support.server import free_port

SECRET = "durability-test-secret-with-more-than-32-bytes"
ROUNDS = 20
WRITERS = 4


@contextmanager
def serve_process(home: Path, db: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`books-api serve` in its own process on a free port; yields it once it answers."""
    port = free_port()
    env = {**os.environ, "JWT_SECRET": SECRET, "BOOKS_API_HOME": str(home)}
    command = [sys.executable, "-m", "books_api.cli", "serve", "--port", str(port)]
    command += ["--db", str(db), "--access-log", os.devnull]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/prod"
    try:
        wait_until_serving(url, process)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    headers = auth_headers()
    while time.monotonic() < deadline:
        assert process.poll() is None, "books-api serve exited"
        try:
            if httpx.get(f"{url}/books?limit=1", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("books-api serve did not start")


def auth_headers() -> dict[str, str]:
    return {"authorizationToken": f"Bearer {make_token('writer', 'api_user', 600, SECRET)}"}


def write_until_refused(url: str, prefix: str, acknowledged: list[str]) -> None:
    """POST new books until the server goes away; record each one answered 201."""
    headers = auth_headers()
    with httpx.Client(timeout=5) as client:
        for index in range(1_000_000):
            book_id = f"{prefix}-{index}"
            try:
                response = client.post(
                    f"{url}/book", headers=headers, json={"book_id": book_id, "n": index}
                )
            except httpx.TransportError:
                return
            if response.status_code == 201:
                acknowledged.append(book_id)


@pytest.mark.slow
def test_acknowledged_posts_survive_sigkill_20_times(tmp_path: Path) -> None:
    db = tmp_path / "books.db"
    acknowledged: list[str] = []
    for round_number in range(ROUNDS):
        with serve_process(tmp_path, db) as (process, url):
            writers = [
                threading.Thread(
                    target=write_until_refused, args=(url, f"r{round_number}w{w}", acknowledged)
                )
                for w in range(WRITERS)
            ]
            for writer in writers:
                writer.start()
            time.sleep(0.3 + 0.05 * (round_number % 5))
            os.kill(process.pid, signal.SIGKILL)
            for writer in writers:
                writer.join(timeout=30)
        with sqlite3.connect(db) as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            stored = {row[0] for row in check.execute("SELECT book_id FROM books")}
        missing = set(acknowledged) - stored
        assert not missing, f"round {round_number}: {len(missing)} acknowledged books lost"
    assert len(acknowledged) > ROUNDS * WRITERS
    with serve_process(tmp_path, db) as (_, url):
        sample = acknowledged[:: max(1, len(acknowledged) // 20)]
        for book_id in sample:
            response = httpx.get(f"{url}/book", params={"book_id": book_id}, headers=auth_headers())
            assert response.status_code == 200


def test_32_concurrent_writers_on_one_book_lose_no_write(
    http: httpx.Client, api: RunningGateway
) -> None:
    book_id = f"hot-{time.monotonic_ns()}"
    headers = {"authorizationToken": f"Bearer {api.token()}"}
    assert http.post(f"{api.url}/book", json={"book_id": book_id}, headers=headers).is_success
    successes: list[int] = []

    def write(writer: int) -> None:
        with httpx.Client(timeout=30) as client:
            for step in range(8):
                body = {"book_id": book_id, "update_key": f"w{writer}", "update_value": step}
                response = client.patch(f"{api.url}/book", json=body, headers=headers)
                assert response.status_code == 200, response.text
                successes.append(writer)

    run_threads(write, 32)
    book = http.get(f"{api.url}/book", params={"book_id": book_id}, headers=headers).json()
    assert book["data"]["version"] == 1 + len(successes) == 1 + 32 * 8
    assert all(book["data"][f"w{writer}"] == 7 for writer in range(32))


def test_32_writers_incrementing_with_if_match_count_every_success(
    http: httpx.Client, api: RunningGateway
) -> None:
    book_id = f"counter-{time.monotonic_ns()}"
    headers = {"authorizationToken": f"Bearer {api.token()}"}
    http.post(f"{api.url}/book", json={"book_id": book_id, "hits": 0}, headers=headers)
    successes: list[int] = []
    conflicts: list[int] = []

    def increment(writer: int) -> None:
        with httpx.Client(timeout=30) as client:
            done = 0
            while done < 2:
                current = client.get(
                    f"{api.url}/book", params={"book_id": book_id}, headers=headers
                )
                hits = current.json()["data"]["hits"]
                body = {"book_id": book_id, "update_key": "hits", "update_value": hits + 1}
                response = client.patch(
                    f"{api.url}/book",
                    json=body,
                    headers={**headers, "If-Match": current.headers["ETag"]},
                )
                assert response.status_code in (200, 412), response.text
                if response.status_code == 200:
                    successes.append(writer)
                    done += 1
                else:
                    conflicts.append(writer)

    run_threads(increment, 32)
    book = http.get(f"{api.url}/book", params={"book_id": book_id}, headers=headers).json()
    assert book["data"]["hits"] == len(successes) == 64
    assert book["data"]["version"] == 1 + len(successes)


def run_threads(target: Callable[[int], None], count: int) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]


def test_two_serve_processes_on_one_file_both_keep_every_write(tmp_path: Path) -> None:
    db = tmp_path / "books.db"
    with serve_process(tmp_path, db) as (_, first), serve_process(tmp_path, db) as (_, second):
        urls = (first, second)
        headers = auth_headers()
        assert httpx.post(f"{first}/book", json={"book_id": "shared"}, headers=headers).is_success
        created: list[str] = []
        updates: list[int] = []

        def write(writer: int) -> None:
            with httpx.Client(timeout=30) as client:
                for step in range(30):
                    url = urls[(writer + step) % 2]  # each writer alternates the servers
                    book_id = f"two-{writer}-{step}"
                    response = client.post(
                        f"{url}/book", json={"book_id": book_id}, headers=headers
                    )
                    assert response.status_code == 201, response.text
                    created.append(book_id)
                    body = {"book_id": "shared", "update_key": f"w{writer}", "update_value": step}
                    response = client.patch(f"{url}/book", json=body, headers=headers)
                    assert response.status_code == 200, response.text
                    updates.append(writer)

        run_threads(write, 8)
        for url in urls:  # each server sees every book the other wrote
            ids: set[str] = set()
            token = None
            while True:
                params = {"limit": "1000", **({"next_token": token} if token else {})}
                page = httpx.get(f"{url}/books", params=params, headers=headers).json()
                ids |= {book["book_id"] for book in page["data"]}
                token = page.get("next_token")
                if not token:
                    break
            assert set(created) <= ids and len(created) == 8 * 30
            shared = httpx.get(f"{url}/book", params={"book_id": "shared"}, headers=headers)
            assert shared.json()["data"]["version"] == 1 + len(updates) == 1 + 8 * 30
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)

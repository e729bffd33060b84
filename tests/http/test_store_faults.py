"""A store that fails after `books-api serve` started answers 503 (507 when it is full) with
the envelope, a message that says the store is unavailable, and Retry-After; the books
function logs the cause once per failed request; no request is answered 500.

Faults are made where they happen: moto_server stopped (the endpoint down), the table
deleted through DynamoDB's API, a loopback proxy answering ThrottlingException (moto never
throttles), an exclusive SQLite lock held by this test, a size limit (BOOKS_DB_MAX_BYTES).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from moto.server import ThreadedMotoServer

from books_api.cli.signing import make_token
from tests.support.dynamodb import REGION, moto_server
from tests.support.faults import throttling_proxy
from tests.support.server import free_port

SECRET = "store-faults-test-secret-0123456789-abcdefgh"
AWS_SECRET = "fake-secret-access-key-never-logged-0123"
HEADERS = {"authorizationToken": f"Bearer {make_token('writer', 'api_user', 600, SECRET)}"}


@dataclass
class Served:
    url: str
    stdout: Path  # the functions' log lines

    def store_failures(self) -> list[dict[str, Any]]:
        lines = []
        for text in self.stdout.read_text("utf-8").splitlines():
            if text.startswith("{") and '"Store failure"' in text:
                lines.append(json.loads(text))
        return lines


@contextmanager
def serving(home: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environment = {**os.environ, "JWT_SECRET": SECRET, "BOOKS_API_HOME": str(home), **(env or {})}
    environment.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY=AWS_SECRET, AWS_DEFAULT_REGION=REGION
    )
    command = [sys.executable, "-m", "books_api.cli", "serve", "--port", str(port)]
    command += ["--access-log", os.devnull, *options]
    stdout = home / "serve.out"
    with stdout.open("wb") as out, (home / "serve.err").open("wb") as err:
        process = subprocess.Popen(command, env=environment, stdout=out, stderr=err)
    url = f"http://127.0.0.1:{port}/prod"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (home / "serve.err").read_text()
            try:
                if httpx.get(f"{url}/books", headers=HEADERS, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "books-api serve did not start"
            time.sleep(0.1)
        yield Served(url, stdout)
    finally:
        process.terminate()
        process.wait(timeout=20)


def every_operation(url: str) -> list[httpx.Response]:
    """One request of each operation, at once (as clients would send them)."""
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/books", {}),
        ("GET", "/book", {"params": {"book_id": "1"}}),
        ("POST", "/book", {"json": {"book_id": "fault-new", "name": "New"}}),
        ("PATCH", "/book", {"json": {"book_id": "2", "update_key": "name", "update_value": "X"}}),
        ("DELETE", "/book", {"json": {"book_id": "3"}}),
    ]

    def send(call: tuple[str, str, dict[str, Any]]) -> httpx.Response:
        method, path, extra = call
        return httpx.request(method, f"{url}{path}", headers=HEADERS, timeout=30, **extra)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


def assert_unavailable(responses: list[httpx.Response], status: int = 503) -> None:
    for response in responses:
        assert response.status_code == status, (response.request.method, response.text)
        body = response.json()
        assert body["status"] == status
        assert "unavailable" in body["data"].lower(), body
        assert response.headers["Retry-After"].isdigit(), response.headers


def assert_logged_once_each(served: Served, failures: int) -> None:
    """One Powertools error line per failed request, naming the cause, with no secret."""
    deadline = time.monotonic() + 5  # an environment's lines reach the file as it answers
    while len(served.store_failures()) < failures and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = served.store_failures()
    assert len(logged) == failures, logged
    for line in logged:
        assert line["level"] == "ERROR" and line["service"]
        assert line["reason"].startswith("The book store is unavailable")
        assert line["cause"]
    text = served.stdout.read_text("utf-8")
    assert SECRET not in text and AWS_SECRET not in text


def dynamodb_options(endpoint: str, table: str) -> list[str]:
    return ["--store", "dynamodb", "--table", table, "--endpoint-url", endpoint, "--create-table"]


def test_dynamodb_endpoint_down_after_start_up_is_503_and_serves_again_once_back(
    tmp_path: Path,
) -> None:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    with serving(tmp_path, *dynamodb_options(endpoint, "Down")) as served:
        moto.stop()  # nothing listens on the endpoint any more
        down = every_operation(served.url)
        assert_unavailable(down)
        assert all("cannot be reached" in response.json()["data"] for response in down)
        assert_logged_once_each(served, len(down))
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        moto.start()  # the same endpoint back, with its table
        try:
            back = every_operation(served.url)
        finally:
            moto.stop()
    assert [response.status_code for response in back] == [200, 200, 201, 200, 200]


def test_dynamodb_table_deleted_after_start_up_is_503(tmp_path: Path) -> None:
    with (
        moto_server() as endpoint,
        serving(tmp_path, *dynamodb_options(endpoint, "Gone")) as served,
    ):
        client = boto3.client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.delete_table(TableName="Gone")
        responses = every_operation(served.url)
        assert_unavailable(responses)
        assert all("does not exist" in response.json()["data"] for response in responses)
        assert_logged_once_each(served, len(responses))


def test_dynamodb_throttling_past_the_retries_is_503(tmp_path: Path) -> None:
    with moto_server() as endpoint, throttling_proxy(endpoint) as proxy:
        with serving(tmp_path, *dynamodb_options(proxy.url, "Busy")) as served:
            proxy.throttling = True
            responses = every_operation(served.url)
            proxy.throttling = False
            assert_unavailable(responses)
            assert all("busy" in response.json()["data"] for response in responses)
            assert_logged_once_each(served, len(responses))
            # Each request was tried as often as botocore's standard mode allows (3 times).
            assert proxy.throttled == 3 * len(responses)
            assert every_operation(served.url)[0].status_code == 200


def test_sqlite_locked_past_the_busy_timeout_is_503_for_writes_while_reads_go_on(
    tmp_path: Path,
) -> None:
    db = tmp_path / "books.db"
    with serving(tmp_path, "--db", str(db)) as served:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # held past the store's 5 s busy timeout
        try:
            reads, writes = (lambda r: (r[:2], r[2:]))(every_operation(served.url))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert [response.status_code for response in reads] == [200, 200]  # WAL: reads go on
        assert_unavailable(writes)
        assert all("locked" in response.json()["data"] for response in writes)
        assert_logged_once_each(served, len(writes))
        after = httpx.post(f"{served.url}/book", headers=HEADERS, json={"book_id": "later"})
        assert after.status_code == 201


def test_sqlite_full_is_507_for_writes_reads_go_on_and_every_acknowledged_book_stays(
    tmp_path: Path,
) -> None:
    db = tmp_path / "books.db"
    limit = {"BOOKS_DB_MAX_BYTES": str(128 * 1024)}
    acknowledged: list[str] = []
    statuses: list[int] = []
    with serving(tmp_path, "--db", str(db), env=limit) as served, httpx.Client() as client:
        for number in range(1000):
            book = {"book_id": f"full-{number:04d}", "name": "x" * 2000}
            response = client.post(f"{served.url}/book", headers=HEADERS, json=book)
            statuses.append(response.status_code)
            if response.status_code != 201:
                break
            acknowledged.append(book["book_id"])
        refused = response
        assert_unavailable([refused], 507)
        assert "out of space" in refused.json()["data"]
        assert acknowledged, "the limit must leave room for some books"
        patch = {"book_id": "1", "update_key": "name", "update_value": "y" * 30_000}
        assert_unavailable([client.patch(f"{served.url}/book", headers=HEADERS, json=patch)], 507)
        for book_id in acknowledged:
            got = client.get(f"{served.url}/book", headers=HEADERS, params={"book_id": book_id})
            assert got.status_code == 200
        assert_logged_once_each(served, 2)
    assert 500 not in statuses
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in check.execute("SELECT book_id FROM books")}
    assert set(acknowledged) <= stored

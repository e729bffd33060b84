"""`books-api serve --store dynamodb ... --create-table` against moto_server over loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from books_api.cli.signing import make_token
from tests.support.dynamodb import moto_server
from tests.support.server import free_port

SECRET = "serve-dynamodb-test-secret-0123456789abcdef"


def test_serve_on_dynamodb_creates_the_table_seeds_it_and_serves_books(tmp_path: Path) -> None:
    port = free_port()
    headers = {"authorizationToken": f"Bearer {make_token('eve', 'api_user', 600, SECRET)}"}
    env = {**os.environ, "JWT_SECRET": SECRET, "BOOKS_API_HOME": str(tmp_path)}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    with moto_server() as endpoint:
        command = [sys.executable, "-m", "books_api.cli", "serve", "--port", str(port)]
        command += ["--store", "dynamodb", "--table", "Shelf", "--endpoint-url", endpoint]
        command += ["--create-table", "--access-log", os.devnull]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            url = f"http://127.0.0.1:{port}/prod"
            books = wait_for_books(url, headers, process)
            assert sorted(book["book_id"] for book in books) == ["1", "2", "3", "4", "5"]
            created = httpx.post(f"{url}/book", json={"book_id": "6"}, headers=headers)
            assert created.status_code == 201 and created.headers["ETag"] == '"1"'
            assert created.json()["data"]["Item"]["created_by"] == "eve"
            again = httpx.post(f"{url}/book", json={"book_id": "6"}, headers=headers)
            assert again.status_code == 409
        finally:
            process.kill()
            process.wait(timeout=10)
            assert process.stderr is not None
            banner = process.stderr.read().decode()
            process.stderr.close()
        assert "Created DynamoDB table Shelf" in banner


def wait_for_books(
    url: str, headers: dict[str, str], process: subprocess.Popen[bytes]
) -> list[dict[str, object]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "books-api serve exited"
        try:
            response = httpx.get(f"{url}/books", headers=headers, timeout=5)
            if response.status_code == 200:
                books: list[dict[str, object]] = response.json()["data"]
                return books
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("books-api serve did not start")

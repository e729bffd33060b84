"""The command line as a user runs it: real processes, real sockets."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt

from tests.support.server import free_port

CLI = [sys.executable, "-m", "books_api.cli"]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"}
    return {**env, "BOOKS_API_HOME": str(home)}


def test_token_prints_only_a_token_signed_with_the_local_secret(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "token", "--sub", "bob", "--role", "reader", "--ttl", "60"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    secret_file = tmp_path / "jwt-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret = secret_file.read_text().strip()
    assert len(secret) >= 43
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims["sub"] == "bob" and claims["Role"] == "reader"
    assert 55 <= claims["exp"] - time.time() <= 61


def test_serve_prints_a_curl_line_that_works_as_printed(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env_for(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    with server:
        assert server.stderr is not None
        banner = ""
        while "  curl " not in banner:
            line = server.stderr.readline()
            assert line, "serve exited before printing its banner"
            banner += line
        curl_line = next(ln.strip() for ln in banner.splitlines() if ln.strip().startswith("curl "))
        url = f"http://127.0.0.1:{port}/prod/books"
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(url)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        args = shlex.split(curl_line)
        assert args[0] == "curl"
        token = re.sub(r"^authorizationToken: ", "", args[args.index("-H") + 1])
        response = httpx.get(args[-1], headers={"authorizationToken": token})
        assert response.status_code == 200
        assert [b["book_id"] for b in response.json()["data"]] == ["1", "2", "3", "4", "5"]
        # A token from `books-api token` works against the same server.
        cli_token = subprocess.run(
            [*CLI, "token"], env=env_for(tmp_path), capture_output=True, text=True, check=True
        ).stdout.strip()
        assert httpx.get(url, headers={"authorizationToken": cli_token}).status_code == 200
        server.terminate()

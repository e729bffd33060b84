"""`books-api serve` for any API: --api and --functions like SAM local, --access-log, --reload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.server import free_port

HANDLER = """
def handler(event, context):
    return {"statusCode": 200, "body": "VERSION"}
"""
API = """
openapi: 3.0.1
info: {title: Hello, version: "1"}
paths:
  /hello:
    get:
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "${hello_arn}"}
"""
FUNCTIONS = """
hello_arn:
  name: hello
  handler: hello_app.handler
  timeout: 3
  memory: 128
"""


@contextmanager
def serve(tmp_path: Path, *extra: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BOOKS_API_HOME": str(tmp_path / "home"), "JWT_SECRET": "x" * 48}
    process = subprocess.Popen(
        [sys.executable, "-m", "books_api.cli", "serve", "--port", str(port),
         "--api", "api.yaml", "--functions", "functions.yaml", *extra],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/docs", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("serve did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=20)


def write_project(tmp_path: Path, version: str) -> None:
    (tmp_path / "api.yaml").write_text(API)
    (tmp_path / "functions.yaml").write_text(FUNCTIONS)
    (tmp_path / "hello_app.py").write_text(HANDLER.replace("VERSION", version))


def test_serve_runs_another_api_from_its_document_and_functions_file(tmp_path: Path) -> None:
    write_project(tmp_path, "one")
    with serve(tmp_path, "--access-log", "access.log") as base:
        response = httpx.get(f"{base}/prod/hello")
        missing = httpx.get(f"{base}/prod/books")
    assert response.status_code == 200
    assert response.text == "one"
    assert missing.status_code == 403
    lines = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    assert [(line["resourcePath"], line["status"]) for line in lines] == [
        ("/hello", "200"),
        ("-", "403"),
    ]


def test_serve_reload_picks_up_code_changes(tmp_path: Path) -> None:
    write_project(tmp_path, "before")
    with serve(tmp_path, "--reload") as base:
        assert httpx.get(f"{base}/prod/hello").text == "before"
        time.sleep(0.5)
        (tmp_path / "hello_app.py").write_text(HANDLER.replace("VERSION", "after"))
        deadline = time.monotonic() + 20
        text = ""
        while time.monotonic() < deadline:
            try:
                text = httpx.get(f"{base}/prod/hello", timeout=2).text
            except httpx.HTTPError:
                text = ""
            if text == "after":
                break
            time.sleep(0.2)
    assert text == "after"

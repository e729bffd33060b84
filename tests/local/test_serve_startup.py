"""`books-api serve` as started from a shell: once everything is checked, one banner derived
from the document; a refused request costs the access-log line and the authorizer's decision
line, nothing more."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from books_api.cli import build_parser
from books_api.cli.banner import STOP_LINE
from books_api.local.lambda_runtime.sandbox import _is_authorizer_refusal
from tests.support.server import free_port

CLI = [sys.executable, "-m", "books_api.cli"]
SECRET = "s" * 48

API = """\
openapi: 3.0.1
info: {title: Greetings, version: "1"}
paths:
  /hello:
    get:
      security: [{jwt: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "${hello_arn}"}
    options:
      x-amazon-apigateway-integration:
        type: mock
        responses: {default: {statusCode: "204"}}
  /files/{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "${hello_arn}"}
components:
  securitySchemes:
    jwt:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer: {type: token, authorizerUri: "${auth_arn}"}
"""
FUNCTIONS = """\
hello_arn: {name: hello, handler: greetings.hello}
auth_arn: {name: auth, handler: greetings.allow}
"""
HANDLERS = """\
def hello(event, context):
    return {"statusCode": 200, "body": "hello"}


def allow(event, context):
    return {"principalId": "me", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}
"""


@contextmanager
def served(cwd: Path, *args: str, **env: str) -> Iterator[tuple[str, Path]]:
    """Run serve until its banner's last line; yield its origin and its console's file."""
    port = free_port()
    console = cwd / "console.log"
    environment = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"}
    environment.update(BOOKS_API_HOME=str(cwd / "home"), **env)
    with console.open("w") as out:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), *args],
            cwd=cwd, env=environment, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while STOP_LINE not in console.read_text():
            assert process.poll() is None, console.read_text()
            assert time.monotonic() < deadline, console.read_text()
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", console
    finally:
        process.terminate()
        process.wait(timeout=20)


def write_greetings(where: Path) -> None:
    (where / "api.yaml").write_text(API)
    (where / "functions.yaml").write_text(FUNCTIONS)
    (where / "greetings.py").write_text(HANDLERS)


def test_the_banner_is_derived_from_the_document_and_printed_once_listening(
    tmp_path: Path,
) -> None:
    write_greetings(tmp_path)
    with served(tmp_path, "--api", "api.yaml", "--functions", "functions.yaml") as (
        origin,
        console,
    ):
        banner = console.read_text()
        # Listening already: the first connection is accepted at once.
        port = int(origin.rsplit(":", 1)[1])
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert httpx.get(f"{origin}/prod/hello", headers={"Authorization": "x"}).text == "hello"
    lines = banner.splitlines()
    assert lines[:5] == [
        f"Greetings on {origin}/prod",
        f"  GET     {origin}/prod/hello  (jwt)",
        f"  OPTIONS {origin}/prod/hello  (none)",
        f"  ANY     {origin}/prod/files/{{proxy+}}  (none)",
        f"API docs: {origin}/docs",
    ]
    assert lines[-1] == STOP_LINE
    # Not the Books API: no books database, no token, no curl line.
    assert "data:" not in banner and "token" not in banner and "curl" not in banner


def test_the_books_api_banner_has_its_data_a_token_and_a_curl_that_works(tmp_path: Path) -> None:
    with served(tmp_path, "--stage", "dev", JWT_SECRET=SECRET) as (origin, console):
        banner = console.read_text()
        curl = next(line.strip() for line in banner.splitlines() if "curl " in line)
        token = re.search(r"Bearer (\S+)'", curl)
        assert token is not None
        url = curl.rsplit(" ", 1)[1]
        assert url == f"{origin}/dev/books"
        response = httpx.get(url, headers={"authorizationToken": f"Bearer {token[1]}"})
        assert response.status_code == 200
    assert banner.startswith(f"Books API on {origin}/dev  (data: {tmp_path / 'home'}/books.db)\n")
    for route in ("GET    {}/dev/books", "DELETE {}/dev/book", "PATCH  {}/dev/book"):
        assert f"  {route.format(origin)}  (authorizationToken)\n" in banner


def test_no_token_is_offered_for_a_key_source_serve_cannot_sign_for(tmp_path: Path) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:books-api/jwt-AbCdEf"
    with served(tmp_path, JWT_SECRET_ARN=arn) as (_, console):
        banner = console.read_text()
    assert "Tokens: sign them with the key behind JWT_SECRET_ARN." in banner
    assert "curl" not in banner


def test_a_refused_request_costs_the_access_log_line_and_the_decision_line(
    tmp_path: Path,
) -> None:
    with served(tmp_path, JWT_SECRET=SECRET) as (origin, console):
        start = len(console.read_text())
        url = f"{origin}/prod/books"
        assert httpx.get(url).status_code == 401  # no token: the authorizer is not invoked
        forged = {"authorizationToken": "Bearer e30.e30.c2ln"}
        assert httpx.get(url, headers=forged).status_code == 401  # it raises Unauthorized
        reader = subprocess.run(
            [*CLI, "token", "--role", "reader"],
            env={**os.environ, "BOOKS_API_HOME": str(tmp_path / "home"), "JWT_SECRET": SECRET},
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        assert httpx.get(url, headers={"authorizationToken": reader}).status_code == 403
        deadline = time.monotonic() + 5
        while console.read_text()[start:].count('"status":') < 3:
            assert time.monotonic() < deadline, console.read_text()[start:]
            time.sleep(0.05)
        time.sleep(0.2)  # anything printed after the access log would be here by now
        output = console.read_text()[start:]
    lines = [json.loads(line) for line in output.splitlines()]
    access = [line for line in lines if "httpMethod" in line]
    decisions = [line for line in lines if line.get("message") == "Authorizer decision"]
    assert [line["status"] for line in access] == ["401", "401", "403"]
    assert [d["decision"] for d in decisions] == ["unauthorized", "deny"]
    metrics = [line for line in lines if "_aws" in line]  # one EMF record per invocation
    assert len(metrics) == 2, output
    assert len(lines) == 7, output


def test_an_authorizer_failing_otherwise_is_still_logged_as_lambda_logs_it() -> None:
    event = {"type": "TOKEN", "methodArn": "arn:aws:execute-api:r:1:a/prod/GET/x"}
    refusal = {"errorMessage": "Unauthorized", "errorType": "Exception"}
    assert _is_authorizer_refusal(event, refusal)
    assert not _is_authorizer_refusal(event, {**refusal, "errorMessage": "authorizer bug"})
    # A proxy event's function raising the same message is a fault like any other.
    assert not _is_authorizer_refusal({"httpMethod": "GET", "path": "/x"}, refusal)


def test_version_names_the_package_the_python_and_the_document() -> None:
    from importlib.metadata import version
    from platform import python_version

    result = subprocess.run([*CLI, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith(
        f"books-api {version('books-api')} (Python {python_version()}); serves 'Books API' from "
    )
    assert result.stdout.rstrip().endswith("openapi/books.yaml")


def _options(parser: object) -> Iterator[tuple[str, object]]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from ((f"{name} {o}", a) for o, a in _options(sub))
        elif action.option_strings and not isinstance(action, argparse._HelpAction):
            yield action.option_strings[-1], action


@pytest.mark.parametrize("option, action", list(_options(build_parser())))
def test_every_option_has_help_text(option: str, action: object) -> None:
    assert getattr(action, "help", None), f"{option} has no help text"

"""Every mistake on the command line is one line, `books-api: error: <what, where, how to fix>`,
exit status 2, nothing on stdout, never a traceback; `serve` says nothing else before it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import free_port

CLI = [sys.executable, "-m", "books_api.cli"]

HELLO_API = """\
openapi: 3.0.1
info: {title: Hello API, version: "1"}
paths:
  /hello:
    get:
      security: [{jwt: []}]
      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: "${hello_arn}"}
components:
  securitySchemes:
    jwt:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "${AUTHORIZER}"
"""
FUNCTIONS = """\
hello_arn:
  name: hello
  handler: HANDLER
auth_arn:
  name: auth
  handler: hello_app.handler
"""
HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n"


def books_api(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"}
    environment.update(BOOKS_API_HOME=str(cwd / "home"), **env)
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=60
    )


def write_api(
    where: Path, authorizer: str = "auth_arn", handler: str = "hello_app.handler"
) -> None:
    (where / "api.yaml").write_text(HELLO_API.replace("AUTHORIZER", authorizer))
    (where / "functions.yaml").write_text(FUNCTIONS.replace("HANDLER", handler))
    (where / "hello_app.py").write_text(HANDLER)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("books-api: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_an_unknown_option_names_it_and_the_help(tmp_path: Path) -> None:
    line = assert_one_line_error(books_api(tmp_path, "serve", "--prot", "3000"), "--prot")
    assert "--help" in line


def test_a_command_that_does_not_exist_lists_the_commands(tmp_path: Path) -> None:
    assert_one_line_error(books_api(tmp_path, "srve"), "'srve'", "serve", "token")


def test_no_command_at_all_says_one_is_needed(tmp_path: Path) -> None:
    assert_one_line_error(books_api(tmp_path), "COMMAND", "--help")


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_outside_1_to_65535_is_refused_before_anything_is_printed(
    tmp_path: Path, port: str
) -> None:
    assert_one_line_error(
        books_api(tmp_path, "serve", "--port", port), f"--port: '{port}'", "1 to 65535"
    )


def test_a_port_in_use_is_refused_and_nothing_else_is_said(tmp_path: Path, busy_port: int) -> None:
    result = books_api(tmp_path, "serve", "--port", str(busy_port))
    assert_one_line_error(result, f"127.0.0.1:{busy_port} is already in use", "--port")


def test_a_host_that_is_not_this_machine_is_refused(tmp_path: Path) -> None:
    result = books_api(tmp_path, "serve", "--host", "192.0.2.1", "--port", str(free_port()))
    assert_one_line_error(result, "--host 192.0.2.1", "127.0.0.1")


def test_a_missing_document_names_the_option_and_the_path(tmp_path: Path) -> None:
    result = books_api(tmp_path, "serve", "--api", "nope.yaml", "--port", str(free_port()))
    assert_one_line_error(result, "--api", str(tmp_path / "nope.yaml"), "no such file")


def test_a_missing_import_file_is_named(tmp_path: Path) -> None:
    assert_one_line_error(books_api(tmp_path, "import", "nope.json"), "nope.json")


def test_broken_yaml_is_reported_with_file_line_and_column(tmp_path: Path) -> None:
    write_api(tmp_path)
    (tmp_path / "api.yaml").write_text("openapi: 3.0.1\npaths:\n  /hello: [get\n")
    result = books_api(
        tmp_path, "serve", "--api", "api.yaml", "--functions", "functions.yaml",
        "--port", str(free_port()),
    )  # fmt: skip
    assert_one_line_error(result, f"{tmp_path / 'api.yaml'}:4:1: ", "not valid YAML")


def test_broken_yaml_in_the_functions_file_is_reported_there(tmp_path: Path) -> None:
    write_api(tmp_path)
    (tmp_path / "functions.yaml").write_text("hello_arn:\n  name: hello\n handler: x\n")
    result = books_api(
        tmp_path, "serve", "--api", "api.yaml", "--functions", "functions.yaml",
        "--port", str(free_port()),
    )  # fmt: skip
    assert_one_line_error(result, f"{tmp_path / 'functions.yaml'}:3:", "not valid YAML")


def test_an_authorizer_naming_no_function_says_what_to_add(tmp_path: Path) -> None:
    write_api(tmp_path, authorizer="nobody_arn")
    result = books_api(
        tmp_path, "serve", "--api", "api.yaml", "--functions", "functions.yaml",
        "--port", str(free_port()),
    )  # fmt: skip
    assert_one_line_error(
        result, str(tmp_path / "api.yaml"), "authorizer jwt", "'nobody_arn'", "add nobody_arn:"
    )


def test_a_handler_that_cannot_be_imported_is_found_at_start_up(tmp_path: Path) -> None:
    write_api(tmp_path, handler="no_such_module.handler")
    result = books_api(
        tmp_path, "serve", "--api", "api.yaml", "--functions", "functions.yaml",
        "--port", str(free_port()),
    )  # fmt: skip
    assert_one_line_error(
        result,
        "function hello (no_such_module.handler)",
        "Runtime.ImportModuleError",
        "No module named 'no_such_module'",
    )


def test_a_handler_whose_import_raises_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    write_api(tmp_path, handler="crashing.handler")
    (tmp_path / "crashing.py").write_text("import os\n\nVALUE = 1 / 0\n")
    result = books_api(
        tmp_path, "serve", "--api", "api.yaml", "--functions", "functions.yaml",
        "--port", str(free_port()),
    )  # fmt: skip
    assert_one_line_error(
        result, "ZeroDivisionError: division by zero", f"{tmp_path / 'crashing.py'}, line 3"
    )


def test_a_weak_secret_is_refused_at_start_up_naming_the_variable(tmp_path: Path) -> None:
    result = books_api(tmp_path, "serve", "--port", str(free_port()), JWT_SECRET="short")
    assert_one_line_error(result, "is 5 bytes", "set JWT_SECRET to 32 bytes or more")


def test_a_bad_role_permissions_entry_is_refused_at_start_up(tmp_path: Path) -> None:
    result = books_api(tmp_path, "serve", "--port", str(free_port()), ROLE_PERMISSIONS="{nope")
    assert_one_line_error(result, "ROLE_PERMISSIONS is not valid JSON")


def test_an_unreadable_key_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_text("not a key")
    for key in ("key.pem", "missing.pem"):
        result = books_api(tmp_path, "token", "--alg", "ES256", "--key", key)
        assert_one_line_error(result, f"--key {key}", "PEM private key")


def test_an_unreachable_dynamodb_endpoint_is_named(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    for command in (["export"], ["serve", "--port", str(free_port()), "--create-table"]):
        result = books_api(
            tmp_path, *command, "--store", "dynamodb", "--endpoint-url", endpoint,
            AWS_MAX_ATTEMPTS="1",
        )  # fmt: skip
        assert_one_line_error(result, endpoint, "cannot reach")


def test_a_value_of_the_wrong_shape_in_the_document_is_one_line(tmp_path: Path) -> None:
    write_api(tmp_path)
    api = (tmp_path / "api.yaml").read_text()
    (tmp_path / "api.yaml").write_text(
        api.replace("type: token", "type: token\n        identityValidationExpression: '(['")
    )
    result = books_api(
        tmp_path, "serve", "--api", "api.yaml", "--functions", "functions.yaml",
        "--port", str(free_port()),
    )  # fmt: skip
    assert_one_line_error(
        result, str(tmp_path / "api.yaml"), "authorizer jwt: identityValidationExpression"
    )


def test_an_access_log_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    result = books_api(
        tmp_path, "serve", "--access-log", "no/such/dir/access.log", "--port", str(free_port())
    )
    assert_one_line_error(result, "--access-log no/such/dir/access.log", "cannot be written")


def test_a_size_limit_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    result = books_api(tmp_path, "serve", "--port", str(free_port()), BOOKS_DB_MAX_BYTES="1GB")
    assert_one_line_error(result, "BOOKS_DB_MAX_BYTES=1GB", "number of bytes")

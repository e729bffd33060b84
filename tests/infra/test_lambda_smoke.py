"""Each zip runs on its own: unpacked into an empty directory and imported, as the Lambda
runtime does, by a fresh virtual environment holding only boto3, against AWS on moto_server.

The deployed zips target Lambda (arm64, Python 3.12), whose compiled wheels this machine
cannot load, so the same build script makes zips for this machine's platform and Python.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
import venv
import zipfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("lambda_driver.py")
REGION = "eu-west-1"
SECRET = "smoke-test-signing-key-0123456789abcdef0123456789"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/books"
HANDLERS = {
    "books": "books_api.functions.books.lambda_handler",
    "authorizer": "books_api.functions.authorizer.lambda_handler",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def native_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("native-dist")
    arch = "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [sys.executable, "-m", "tools.package", "--arch", arch, "--python", python]
    result = subprocess.run(
        [*command, "--out", str(out)], cwd=REPOSITORY, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return {name: out / f"{name}.zip" for name in HANDLERS}


@pytest.fixture(scope="module")
def boto3_only_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with boto3 (what the Lambda runtime provides) and nothing else."""
    home = tmp_path_factory.mktemp("boto3-only-venv")
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    install = [*pip, "install", "-q", f"boto3=={version('boto3')}"]
    result = subprocess.run(install, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    for absent in ("jwt", "aws_lambda_powertools", "books_api"):
        probe = subprocess.run([str(python), "-c", f"import {absent}"], capture_output=True)
        assert probe.returncode != 0, f"the boto3-only venv must not hold {absent}"
    return python


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def aws(moto_endpoint: str) -> dict[str, str]:
    """Credentials, region and endpoint for both processes; a table and a secret on moto."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    session.client("dynamodb", endpoint_url=moto_endpoint).create_table(
        TableName="Books_Table",
        KeySchema=[{"AttributeName": "book_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "book_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    secret = session.client("secretsmanager", endpoint_url=moto_endpoint).create_secret(
        Name="books-api-jwt", SecretString=SECRET
    )
    return {**env, "JWT_SECRET_ARN": secret["ARN"], "BOOKS_STORE": "dynamodb"}


def invoke(
    python: Path, zip_path: Path, workdir: Path, env: dict[str, str], events: list[Any]
) -> dict[str, Any]:
    unpacked = workdir / "task"
    unpacked.mkdir()
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(unpacked)
    clean_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(unpacked), **env}
    result = subprocess.run(
        [str(python), str(DRIVER), HANDLERS[zip_path.stem]],
        input=json.dumps(events),
        cwd=workdir,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    for module, origin in output["origins"].items():
        assert origin is None or origin.startswith(str(unpacked)), f"{module} from {origin}"
    return output


def token(key: str, role: str = "api_user") -> str:
    claims = {"sub": "smoke", "Role": role, "exp": int(time.time()) + 300}
    return "Bearer " + jwt.encode(claims, key, algorithm="HS256")


def test_authorizer_zip_allows_a_valid_token_and_refuses_a_forged_one(
    native_zips: dict[str, Path], boto3_only_python: Path, aws: dict[str, str], tmp_path: Path
) -> None:
    events = [
        {"type": "TOKEN", "authorizationToken": token(SECRET), "methodArn": METHOD_ARN},
        {"type": "TOKEN", "authorizationToken": token("forged-" + SECRET), "methodArn": METHOD_ARN},
    ]
    env = {**aws, "POWERTOOLS_SERVICE_NAME": "authorizer"}
    output = invoke(boto3_only_python, native_zips["authorizer"], tmp_path, env, events)
    valid, forged = output["results"]
    assert valid["result"]["principalId"] == "smoke", valid
    statements = valid["result"]["policyDocument"]["Statement"]
    assert statements and all(s["Effect"] == "Allow" for s in statements), statements
    assert forged == {"error": "Unauthorized"}
    assert "jwt" in output["origins"] and "books_api.auth.aws_secrets" in output["origins"]


def test_books_zip_serves_crud_against_dynamodb(
    native_zips: dict[str, Path], boto3_only_python: Path, aws: dict[str, str], tmp_path: Path
) -> None:
    context = {"authorizer": {"principalId": "smoke"}, "stage": "prod"}
    book = {"book_id": "42", "name": "Dune", "author": "Frank Herbert", "price": 9.99}

    def event(method: str, resource: str, **fields: Any) -> dict[str, Any]:
        return {"httpMethod": method, "resource": resource, "path": resource, "headers": {},
                "queryStringParameters": None, "body": None, "isBase64Encoded": False,
                "requestContext": context, **fields}  # fmt: skip

    events = [
        event("POST", "/book", body=json.dumps(book)),
        event("GET", "/book", queryStringParameters={"book_id": "42"}),
        event("GET", "/books"),
        event("POST", "/book", body=json.dumps(book)),
        event("DELETE", "/book", body=json.dumps({"book_id": "42"})),
    ]
    env = {**aws, "BOOKS_TABLE": "Books_Table", "POWERTOOLS_SERVICE_NAME": "books"}
    output = invoke(boto3_only_python, native_zips["books"], tmp_path, env, events)
    created, fetched, listed, duplicate, deleted = (r["result"] for r in output["results"])
    assert created["statusCode"] == 201, created
    assert json.loads(fetched["body"])["data"]["price"] == 9.99
    assert [b["book_id"] for b in json.loads(listed["body"])["data"]] == ["42"]
    assert duplicate["statusCode"] == 409, duplicate
    assert json.loads(deleted["body"])["data"]["DeletedItem"]["book_id"] == "42"
    assert "books_api.store.dynamodb" in output["origins"]
    assert not any(name.startswith("books_api.local") for name in output["origins"])


class XRayDaemon:
    """A UDP socket in the X-Ray daemon's place: what the SDK sends, one JSON per segment."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"

    def segments(self) -> list[dict[str, Any]]:
        """What was sent so far; the socket is closed after."""
        self.socket.setblocking(False)
        found = []
        while True:
            try:
                datagram = self.socket.recv(65536)
            except BlockingIOError:
                self.socket.close()
                return found
            header, _, body = datagram.partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            found.append(json.loads(body))


def test_books_zip_traces_its_table_calls_in_lambda(
    native_zips: dict[str, Path], boto3_only_python: Path, aws: dict[str, str], tmp_path: Path
) -> None:
    daemon = XRayDaemon()
    trace_id = "1-5759e988-bd862e3fe1be46a994272793"
    env = {
        **aws,
        "BOOKS_TABLE": "Books_Table",
        "POWERTOOLS_SERVICE_NAME": "books",
        "LAMBDA_TASK_ROOT": str(tmp_path / "task"),  # what tells the code it runs in Lambda
        "_X_AMZN_TRACE_ID": f"Root={trace_id};Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
    }
    event = {"httpMethod": "GET", "resource": "/book", "path": "/book", "headers": {},
             "queryStringParameters": {"book_id": "absent"}, "body": None,
             "isBase64Encoded": False,
             "requestContext": {"requestId": "r-1", "stage": "prod"}}  # fmt: skip
    output = invoke(boto3_only_python, native_zips["books"], tmp_path, env, [event])
    assert output["results"][0]["result"]["statusCode"] == 404
    segments = daemon.segments()
    by_name = {segment["name"]: segment for segment in segments}
    handler = by_name["## lambda_handler"]
    assert handler["annotations"]["operation"] == "get_book"
    assert handler["trace_id"] == trace_id
    dynamodb = [s for s in segments if s.get("namespace") == "aws" and s["name"] == "dynamodb"]
    assert {s["aws"]["operation"] for s in dynamodb} == {"GetItem"}, segments
    assert all(s["parent_id"] == handler["id"] for s in dynamodb)

"""`books-api serve` output, as Lambda's and API Gateway's log streams would hold it: one
request's id is in its access log line, in the books function's log lines and in its EMF
record; the authorizer's decision line names the method ARN; EMF records are well formed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from books_api.telemetry import catalogue
from tests.support.server import free_port

SECRET = "correlation-test-signing-key-0123456789abcdef"


def token(secret: str = SECRET) -> str:
    claims = {"sub": "reader", "Role": "api_user", "exp": int(time.time()) + 600}
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    """Three requests against a fresh `books-api serve`; yields their ids and its stdout."""
    home = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {**os.environ, "BOOKS_API_HOME": str(home), "JWT_SECRET": SECRET}
    output = home / "stdout.log"
    with output.open("wb") as stdout, (home / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "books_api.cli", "serve", "--port", str(port),
             "--db", str(home / "books.db")],
            env=env, stdout=stdout, stderr=stderr,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}/prod"
        try:
            ids = _requests(base, process)
        finally:
            process.terminate()
            process.wait(timeout=20)
    yield ids, output


def _requests(base: str, process: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/books", timeout=2)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
            time.sleep(0.2)
    headers = {"authorizationToken": token()}
    ids = {}
    got = httpx.get(f"{base}/book", params={"book_id": "1"}, headers=headers)
    assert got.status_code == 200, got.text
    ids["get"] = got.headers["x-amzn-RequestId"]
    duplicate = {"book_id": "1", "name": "Again", "author": "Someone", "price": 1}
    conflict = httpx.post(f"{base}/book", json=duplicate, headers=headers)
    assert conflict.status_code == 409, conflict.text
    ids["conflict"] = conflict.headers["x-amzn-RequestId"]
    forged = httpx.get(f"{base}/books", headers={"authorizationToken": token("forged" * 8)})
    assert forged.status_code == 401
    ids["forged"] = forged.headers["x-amzn-RequestId"]
    return ids


def _lines(output: Path) -> list[dict[str, Any]]:
    lines = []
    for text in output.read_text("utf-8").splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


def _emf(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "_aws" in line]


def test_one_request_id_finds_the_access_log_line_and_the_function_lines(
    served: tuple[dict[str, str], Path],
) -> None:
    ids, output = served
    lines = _lines(output)
    for request_id in (ids["get"], ids["conflict"]):
        access = [line for line in lines if line.get("requestId") == request_id]
        assert len(access) == 1, f"one access log line for {request_id}"
        function_lines = [line for line in lines if line.get("correlation_id") == request_id]
        assert function_lines, f"no books function line carries {request_id}"
        assert all(line["service"] == "books" for line in function_lines)
    (refused,) = [line for line in lines if line.get("message") == "Request refused"]
    assert refused["correlation_id"] == ids["conflict"]
    assert refused["operation"] == "create_book" and refused["status"] == 409
    assert refused["reason"] == "Book with ID 1 already exists"


def test_books_records_count_the_request_by_operation_and_status_class(
    served: tuple[dict[str, str], Path],
) -> None:
    ids, output = served
    records = {line.get("correlation_id"): line for line in _emf(_lines(output))}
    got, conflict = records[ids["get"]], records[ids["conflict"]]
    assert (got["operation"], got["status_class"], got["Requests"]) == ("get_book", "2xx", [1.0])
    assert "Conflicts" not in got and got["StoreLatency"][0] >= 0
    assert (conflict["operation"], conflict["status_class"]) == ("create_book", "4xx")
    assert conflict["Conflicts"] == [1.0]
    assert got["_aws"]["CloudWatchMetrics"][0]["Namespace"] == catalogue.DEFAULT_NAMESPACE


def test_authorizer_decision_lines_name_the_method_arn_and_records_the_outcome(
    served: tuple[dict[str, str], Path],
) -> None:
    _, output = served
    lines = _lines(output)
    decisions = [line for line in lines if line.get("message") == "Authorizer decision"]
    assert {line["decision"] for line in decisions} == {"allow", "unauthorized"}
    arns = {line["method_arn"] for line in decisions}
    assert any(arn.endswith("/prod/GET/book") for arn in arns), arns
    assert any(arn.endswith("/prod/GET/books") for arn in arns), arns
    outcomes = {
        (line["outcome"], line["reason"]) for line in _emf(lines) if "AuthorizerDecisions" in line
    }
    assert outcomes == {("Allow", "permitted"), ("Unauthorized", "bad_signature")}


def test_every_emf_record_is_well_formed_and_declared_in_the_catalogue(
    served: tuple[dict[str, str], Path],
) -> None:
    _, output = served
    declared = {metric.name: metric for metric in catalogue.METRICS}
    records = _emf(_lines(output))
    assert len(records) >= 4
    for record in records:
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        assert isinstance(record["_aws"]["Timestamp"], int)
        for definition in directive["Metrics"]:
            metric = declared[definition["Name"]]
            assert definition["Unit"] == metric.unit
            assert all(isinstance(value, float) for value in record[metric.name])
            assert {tuple(sorted(s)) for s in directive["Dimensions"]} == {
                tuple(sorted(s)) for s in metric.dimension_sets
            }
        for dimension in {name for names in directive["Dimensions"] for name in names}:
            value = record[dimension]
            if dimension == catalogue.SERVICE:
                assert value in {"books", "authorizer"}
            else:
                assert value in catalogue.DIMENSION_VALUES[dimension], (dimension, value)

"""`books-api invoke` as a user runs it: one function, one event, Lambda's output and log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).parents[2]
TEST_FUNCTIONS = REPOSITORY / "tests" / "local" / "functions.yaml"
CLI = [sys.executable, "-m", "books_api.cli"]
REPORT = re.compile(
    r"REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: (?P<duration>\d+\.\d\d) ms\t"
    r"Billed Duration: (?P<billed>\d+) ms\tMemory Size: (?P<memory>\d+) MB\t"
    r"Max Memory Used: (?P<used>\d+) MB(?:\tInit Duration: (?P<init>\d+\.\d\d) ms)?"
    r"(?:\tStatus: (?P<status>\w+))?(?:\tError Type: (?P<error_type>[\w.]+))?"
)


def invoke(
    home: Path, *args: str, event: Any = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    options = [*args]
    if event is not None:
        stdin = json.dumps(event)
    if stdin is not None:
        options += ["--event", "-"]
    return subprocess.run(
        [*CLI, "invoke", *options],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env={**os.environ, "BOOKS_API_HOME": str(home)},
        timeout=60,
    )


def report(stderr: str) -> re.Match[str]:
    lines = stderr.splitlines()
    match = REPORT.fullmatch(lines[-1])
    assert match, f"no REPORT line last in {stderr!r}"
    request_id = match["id"]
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert lines[-2] == f"END RequestId: {request_id}"
    return match


def test_good_function_prints_its_result_and_a_report(tmp_path: Path) -> None:
    event = {"httpMethod": "GET", "queryStringParameters": {"line": "a log line"}}
    result = invoke(tmp_path, "prints", "--functions", str(TEST_FUNCTIONS), event=event)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": '{"printed": true}',
    }
    assert "a log line" in result.stderr  # the function's print() is its log, not its result
    match = report(result.stderr)
    assert match["memory"] == "128"
    assert match["init"] is not None  # a cold start
    assert match["status"] is None
    duration, init = float(match["duration"]), float(match["init"])
    assert int(match["billed"]) == -int(-(duration + init) // 1)  # rounded up to 1 ms
    assert 0 < int(match["used"]) <= 128


def test_function_sees_its_environment_memory_and_context(tmp_path: Path) -> None:
    result = invoke(tmp_path, "echo", "--functions", str(TEST_FUNCTIONS), event={"k": "v"})
    assert result.returncode == 0, result.stderr
    body = json.loads(json.loads(result.stdout)["body"])
    assert body["event"] == {"k": "v"}
    assert body["greeting"] == "hello from functions.yaml"
    context = body["context"]
    assert context["function_name"] == "echo" and context["memory_limit_in_mb"] == 512
    assert context["aws_request_id"] == report(result.stderr)["id"]
    assert 4000 < context["remaining_ms"] <= 5000  # the function's 5 s timeout


def test_raising_function_prints_lambdas_error_and_exits_1(tmp_path: Path) -> None:
    result = invoke(tmp_path, "raises", "--functions", str(TEST_FUNCTIONS), event={})
    assert result.returncode == 1
    error = json.loads(result.stdout)
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "the function failed"
    assert error["requestId"] == report(result.stderr)["id"]
    # Only the function's own frames, as Lambda reports them.
    assert len(error["stackTrace"]) == 1
    assert 'lambdas.py", line' in error["stackTrace"][0]
    assert "in raises" in error["stackTrace"][0]
    assert "[ERROR] RuntimeError: the function failed" in result.stderr


def test_timing_out_function_prints_lambdas_timeout_and_exits_1(tmp_path: Path) -> None:
    event = {"queryStringParameters": {"seconds": "5"}}
    result = invoke(tmp_path, "sleepy", "--functions", str(TEST_FUNCTIONS), event=event)
    assert result.returncode == 1
    match = report(result.stderr)
    assert json.loads(result.stdout) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {match['id']} Error: Task timed out after 1.00 seconds",
        "requestId": match["id"],
    }
    assert match["status"] == "timeout"
    assert match["duration"] == "1000.00"
    assert f"{match['id']} Task timed out after 1.00 seconds" in result.stderr


def test_exiting_function_reports_a_runtime_exit_error(tmp_path: Path) -> None:
    result = invoke(tmp_path, "exits", "--functions", str(TEST_FUNCTIONS), event={})
    assert result.returncode == 1
    error = json.loads(result.stdout)
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"] == "Runtime exited with error: exit status 3"
    match = report(result.stderr)
    assert (match["status"], match["error_type"]) == ("error", "Runtime.ExitError")


def test_event_from_a_file(tmp_path: Path) -> None:
    event_file = tmp_path / "event.json"
    event_file.write_text('{"from": "a file"}')
    result = invoke(
        tmp_path, "echo", "--functions", str(TEST_FUNCTIONS), "--event", str(event_file)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(json.loads(result.stdout)["body"])["event"] == {"from": "a file"}


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["nobody"], None, "has no function 'nobody'; it has: binary,"),
        (["echo"], "{not json", "--event stdin: not JSON"),
        (["echo", "--event", "/no/such/file.json"], None, "--event /no/such/file.json: cannot"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], stdin: str | None, message: str
) -> None:
    result = invoke(tmp_path, *args, "--functions", str(TEST_FUNCTIONS), stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""

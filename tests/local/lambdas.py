"""Test-only Lambda functions, wired through api.yaml and functions.yaml beside this file."""

from __future__ import annotations

import base64
import decimal
import io
import json
import os
import sys
import time
from typing import Any

from aws_lambda_powertools import Logger

# Read once at import, as settings are in a real cold start.
GREETING = os.environ.get("GREETING", "unset")


class _AppendToFile(io.StringIO):
    """A stream that appends each write to a file (opened and closed every time)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def write(self, text: str) -> int:
        with open(self.path, "a", encoding="utf-8") as file:
            return file.write(text)


_LOGS_FILE = os.environ.get("LOGS_FILE")
# Powertools configures a logger once per service name in a process; a test gateway that
# logs to its own file uses its own name.
logger = Logger(
    service=f"logs-{abs(hash(_LOGS_FILE))}" if _LOGS_FILE else "logs",
    stream=_AppendToFile(_LOGS_FILE) if _LOGS_FILE else None,
)
_invocations = 0


def _json(status: int, payload: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(payload),
    }


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the event and the context it was called with."""
    global _invocations
    _invocations += 1
    return _json(
        200,
        {
            "event": event,
            "context": {
                "aws_request_id": context.aws_request_id,
                "function_name": context.function_name,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "invoked_function_arn": context.invoked_function_arn,
                "remaining_ms": context.get_remaining_time_in_millis(),
            },
            "greeting": GREETING,
            "invocations": _invocations,
        },
    )


def malformed(event: dict[str, Any], context: Any) -> Any:
    kind = (event.get("queryStringParameters") or {}).get("kind")
    if kind == "no-status":
        return {"body": "{}"}
    if kind == "string-status":
        return {"statusCode": "200", "body": "{}"}
    if kind == "object-body":
        return {"statusCode": 200, "body": {"not": "a string"}}
    if kind == "not-a-dict":
        return ["statusCode", 200]
    return {"statusCode": 200, "body": "fine"}


def raises(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("the function failed")


def exits(event: dict[str, Any], context: Any) -> Any:
    sys.exit(3)


def sleepy(event: dict[str, Any], context: Any) -> Any:
    seconds = float((event.get("queryStringParameters") or {}).get("seconds", "3"))
    time.sleep(seconds)
    return _json(200, {"slept": seconds})


def huge(event: dict[str, Any], context: Any) -> Any:
    size = int((event.get("queryStringParameters") or {}).get("bytes", str(7 * 1024 * 1024)))
    return {"statusCode": 200, "body": "x" * size}


def binary(event: dict[str, Any], context: Any) -> Any:
    payload = bytes(range(256))
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/octet-stream", "X-Both": "from headers"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Both": ["one", "two"]},
        "body": base64.b64encode(payload).decode(),
        "isBase64Encoded": True,
    }


@logger.inject_lambda_context
def logs(event: dict[str, Any], context: Any) -> Any:
    """Logs before and after a pause, so that concurrent invocations interleave."""
    logger.info("first line")
    time.sleep(0.05)
    logger.info("second line")
    return _json(200, {"request_id": context.aws_request_id})


_calls = 0


def authorizer(event: dict[str, Any], context: Any) -> Any:
    """Decides by the token itself; `context.calls` counts invocations of this container."""
    global _calls
    _calls += 1
    token = event["authorizationToken"]
    arn = event["methodArn"]
    stage_root = arn.split("/", 1)[0] + "/" + arn.split("/")[1]
    base_context = {
        "calls": _calls,
        "event": json.dumps(event),
        "admin": False,
        "ratio": 0.5,
        "nothing": None,
    }
    if token == "sleep":
        time.sleep(1.5)
    if token == "raise":
        raise RuntimeError("authorizer bug")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "no-policy":
        return {"principalId": "someone"}
    if token == "bad-context":
        return _policy("Allow", [f"{stage_root}/*/*"], {"nested": {"a": 1}})
    if token == "deny":
        return _policy_statements(
            [("Allow", [f"{stage_root}/*/*"]), ("Deny", [f"{stage_root}/GET/echo"])],
            base_context,
        )
    if token == "get-only":
        # `?` and `*` wildcards: GET on any one-segment-plus resource under /ech?.
        return _policy(
            "Allow", [f"{stage_root}/GET/ech?", f"{stage_root}/GET/echo/*"], base_context
        )
    if token == "other-route":
        return _policy("Allow", [f"{stage_root}/POST/somewhere-else"], base_context)
    return _policy("Allow", [f"{stage_root}/*/*"], base_context)


def request_authorizer(event: dict[str, Any], context: Any) -> Any:
    """A REQUEST authorizer: allows the stage unless `?deny=1`; `context.calls` counts its
    invocations in this container and `context.event` is the event it was given."""
    global _calls
    _calls += 1
    arn = event["methodArn"]
    stage_root = arn.split("/", 1)[0] + "/" + arn.split("/")[1]
    effect = "Deny" if (event.get("queryStringParameters") or {}).get("deny") else "Allow"
    return _policy(effect, [f"{stage_root}/*/*"], {"calls": _calls, "event": json.dumps(event)})


def _policy(effect: str, resources: list[str], context: dict[str, Any]) -> dict[str, Any]:
    return _policy_statements([(effect, resources)], context)


def _policy_statements(
    statements: list[tuple[str, list[str]]], context: dict[str, Any]
) -> dict[str, Any]:
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}
                for effect, resources in statements
            ],
        },
        "context": context,
    }


# Handlers for test_execution_environments.py.


def _query(event: dict[str, Any]) -> dict[str, str]:
    query: dict[str, str] = event.get("queryStringParameters") or {}
    return query


def overslept(event: dict[str, Any], context: Any) -> Any:
    """Sleeps `seconds`, then writes the file `marker`: proof that the process went on."""
    query = _query(event)
    seconds = float(query.get("seconds", "0"))
    time.sleep(seconds)
    with open(query["marker"], "w", encoding="utf-8") as marker:
        marker.write("still running")
    return _json(200, {"slept": seconds})


def hard_exit(event: dict[str, Any], context: Any) -> Any:
    """Ends its process with `os._exit(7)` when asked (no cleanup, no exception)."""
    if _query(event).get("exit"):
        os._exit(7)
    return _json(200, {"pid": os.getpid()})


def unmarshalable(event: dict[str, Any], context: Any) -> Any:
    if _query(event).get("kind") == "decimal":
        # Lambda's runtime writes a Decimal as its own digits: "statusCode": 200.
        return {"statusCode": decimal.Decimal("200"), "body": "decimal status"}
    return {"statusCode": 200, "body": "a set", "extra": {1, 2}}


def greeting_now(event: dict[str, Any], context: Any) -> Any:
    """The environment as the invocation sees it (read now, not at import)."""
    return _json(
        200,
        {
            "greeting": os.environ.get("GREETING"),
            "function_name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        },
    )


def nap(event: dict[str, Any], context: Any) -> Any:
    seconds = float(_query(event).get("seconds", "0"))
    time.sleep(seconds)
    return _json(200, {"pid": os.getpid(), "slept": seconds})


def prints(event: dict[str, Any], context: Any) -> Any:
    print(_query(event)["line"])
    return _json(200, {"printed": True})


def tally(event: dict[str, Any], context: Any) -> Any:
    """Appends a line per run to the file `log` names; `exit=1` ends the process instead."""
    query = _query(event)
    if query.get("exit"):
        os._exit(1)
    with open(query["log"], "a", encoding="utf-8") as log:
        log.write(query["n"] + "\n")
    return _json(200, {"n": query["n"]})


def hog(event: dict[str, Any], context: Any) -> Any:
    """Holds `mb` megabytes (written, so resident) for `seconds`."""
    query = _query(event)
    held = b"x" * (int(query["mb"]) * 1024 * 1024)
    time.sleep(float(query.get("seconds", "0.5")))
    return _json(200, {"held_mb": len(held) // (1024 * 1024)})


# A cold start that takes a while, or fails, for the functions whose environment asks for it.
_IMPORT_DELAY_S = float(os.environ.get("LAMBDAS_IMPORT_DELAY_S") or 0)
if _IMPORT_DELAY_S:
    time.sleep(_IMPORT_DELAY_S)
if os.environ.get("LAMBDAS_IMPORT_FAILS"):
    raise RuntimeError("tests.local.lambdas refuses to import in this function")

"""One Lambda execution environment: a process that imports one handler and runs one
invocation at a time, as Lambda's Python runtime does.

The runtime starts it as `python -m books_api.local.lambda_runtime.sandbox FD SPEC` and talks
to it over the socket FD (frames from `wire`). Stdout and stderr are the function's log, as in
CloudWatch. What the handler returns is sent back as JSON; an exception is sent as
Lambda's error object; `sys.exit()`, `os._exit()` or a crash end this process, not the gateway.
"""

from __future__ import annotations

import decimal
import importlib
import json
import math
import os
import socket
import sys
import time
import traceback
from typing import Any

from books_api.local.lambda_runtime import wire
from books_api.local.lambda_runtime.context import LambdaContext
from books_api.local.lambda_runtime.events import proxy_event_from

# Lambda refuses synchronous invocation responses over 6 MB (the figure it reports).
MAX_RESPONSE_BYTES = 6_291_556
SYS_PATH_VARIABLE = "BOOKS_API_SANDBOX_SYS_PATH"


def _decimal_as_number(value: Any) -> Any:
    """Lambda's Python runtime writes a Decimal as its own digits (`Decimal("200")` is `200`,
    `Decimal("12.99")` is `12.99`) and refuses anything else that is not JSON."""
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return math.nan
        digits = str(value)
        if value.is_finite() and digits.lstrip("-").isdigit():
            return int(digits)
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_RESULT_ENCODER = json.JSONEncoder(default=_decimal_as_number)


class _InitFailure(Exception):
    """The handler cannot be loaded; `error` is what Lambda reports."""

    def __init__(self, cause: BaseException, error_type: str | None = None) -> None:
        super().__init__(str(cause))
        self.error = error_object(cause, error_type)


def error_object(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """The error Lambda returns for a failed invocation (`errorMessage`, `errorType`, ...)."""
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": _function_frames(error),
    }


def _function_frames(error: BaseException) -> list[str]:
    """The traceback's frames from the function's own code on: Lambda's stack trace leaves
    out the runtime's frames (here: this module's and importlib's)."""
    frames = traceback.extract_tb(error.__traceback__)
    runtime = (__file__, "<frozen importlib", importlib.__file__ or "importlib")
    start = 0
    while start < len(frames) and frames[start].filename.startswith(runtime):
        start += 1
    return traceback.format_list(frames[start:])


def _log_error(error: dict[str, Any]) -> None:
    """Lambda writes a failed invocation's error to the function's log."""
    trace = "".join(error["stackTrace"])
    print(f"[ERROR] {error['errorType']}: {error['errorMessage']}", file=sys.stderr)
    if trace:
        print(f"Traceback (most recent call last):\n{trace}", end="", file=sys.stderr)
    sys.stderr.flush()


def _is_authorizer_refusal(event: Any, error: dict[str, Any]) -> bool:
    """An authorizer raising `Exception("Unauthorized")`: API Gateway's documented way to
    answer 401, not a fault. Lambda logs it as any error (`[ERROR] <type>: Unauthorized` and
    the traceback, in the authorizer's log group); locally it is left out, so that a refused
    request costs the access-log line and the authorizer's own decision line only."""
    return (
        error["errorMessage"] == "Unauthorized"
        and isinstance(event, dict)
        and event.get("type") in ("TOKEN", "REQUEST")
        and "methodArn" in event
    )


class Sandbox:
    def __init__(self, connection: socket.socket, spec: dict[str, Any]) -> None:
        self.connection = connection
        self.reader = wire.FrameReader(connection)
        self.name: str = spec["name"]
        self.handler_path: str = spec["handler"]
        self.timeout_s: float = spec["timeout_s"]
        self.memory_mb: int = spec["memory_mb"]

    def run(self) -> None:
        started = time.perf_counter()
        try:
            handler = self._import_handler()
        except _InitFailure as failure:
            _log_error(failure.error)
            # The invocation that waits for this cold start fails; the next starts afresh.
            self._send(wire.INIT_ERROR, json.dumps(failure.error).encode())
            return
        init_ms = (time.perf_counter() - started) * 1000
        self._send(wire.READY, f"{init_ms:.3f}".encode())
        while True:
            frame = self.reader.read()
            if frame is None:  # the gateway has gone
                return
            kind, request_id, event = wire.split_invocation(frame)
            started = time.perf_counter()
            if kind == wire.PROXY_EVENT:
                event_object = proxy_event_from(wire.proxy_arguments(event))
            else:
                event_object = json.loads(event)
            kind, payload = self._invoke(handler, request_id, event_object)
            # Each answer goes back before the next invocation starts: should that one end
            # the process, the gateway knows exactly which invocations ran.
            self._send_frame(wire.answer(kind, time.perf_counter() - started, payload))

    def _import_handler(self) -> Any:
        """The handler, or _InitFailure with the error Lambda's Python runtime reports."""
        module_name, _, attribute = self.handler_path.rpartition(".")
        if not module_name:
            message = f"Bad handler '{self.handler_path}': expected module.function"
            raise _InitFailure(ValueError(message), "Runtime.MalformedHandlerName")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            failure = _InitFailure(error, "Runtime.ImportModuleError")
            failure.error["errorMessage"] = f"Unable to import module '{module_name}': {error}"
            failure.error["stackTrace"] = []  # as Lambda reports it
            raise failure from error
        except Exception as error:  # the module itself raised: its own error type
            raise _InitFailure(error) from error
        handler = getattr(module, attribute, None)
        if not callable(handler):
            message = f"Handler '{attribute}' missing on module '{module_name}'"
            raise _InitFailure(AttributeError(message), "Runtime.HandlerNotFound")
        return handler

    def _invoke(self, handler: Any, request_id: str, event: Any) -> tuple[bytes, bytes]:
        context = LambdaContext(
            function_name=self.name,
            memory_limit_in_mb=self.memory_mb,
            aws_request_id=request_id,
            deadline=time.monotonic() + self.timeout_s,
        )
        try:
            result = handler(event, context)
        except Exception as error:
            failure = error_object(error)
            failure["requestId"] = request_id
            if not _is_authorizer_refusal(event, failure):
                _log_error(failure)
            return wire.ERROR, json.dumps(failure).encode()
        try:
            payload = _RESULT_ENCODER.encode(result).encode()
        except (TypeError, ValueError) as error:
            failure = error_object(error, "Runtime.MarshalError")
            failure["errorMessage"] = f"Unable to marshal response: {error}"
            _log_error(failure)
            return wire.ERROR, json.dumps(failure).encode()
        if len(payload) > MAX_RESPONSE_BYTES:
            failure = {
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
                "requestId": request_id,
                "stackTrace": [],
            }
            _log_error(failure)
            return wire.ERROR, json.dumps(failure).encode()
        return wire.ANSWER, payload

    def _send(self, kind: bytes, payload: bytes) -> None:
        self._send_frame(wire.frame(kind + payload))

    def _send_frame(self, frame: bytes) -> None:
        sys.stdout.flush()  # the function's print() lines before its answer
        self.connection.sendall(frame)


def main(argv: list[str]) -> int:
    fd, spec = int(argv[0]), json.loads(argv[1])
    code_path = os.environ.pop(SYS_PATH_VARIABLE, None)
    if code_path:
        sys.path[:] = json.loads(code_path)
    connection = socket.socket(fileno=fd)
    Sandbox(connection, spec).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

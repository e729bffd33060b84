"""One Lambda execution environment: a process that imports one handler and runs one
invocation at a time, as Lambda's Python runtime does.

The gateway starts it as `python -m books_api.local.sandbox FD SPEC` and talks to it over the
socket FD (frames from `books_api.local.wire`). Stdout and stderr are the function's log, as
in CloudWatch. What the handler returns is sent back as JSON; an exception is sent as
Lambda's error object; `sys.exit()`, `os._exit()` or a crash end this process, not the gateway.
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import socket
import sys
import time
import traceback
from typing import Any

from books_api.local import wire
from books_api.local.context import LambdaContext
from books_api.local.events import proxy_event_from

# Lambda refuses synchronous invocation responses over 6 MB (the figure it reports).
MAX_RESPONSE_BYTES = 6_291_556
SYS_PATH_VARIABLE = "BOOKS_API_SANDBOX_SYS_PATH"


def _decimal_as_float(value: Any) -> Any:
    """Lambda's Python runtime serialises Decimal as a number and refuses anything else."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def error_object(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """The error Lambda returns for a failed invocation (`errorMessage`, `errorType`, ...)."""
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def _log_error(error: dict[str, Any]) -> None:
    """Lambda writes a failed invocation's error to the function's log."""
    trace = "".join(error["stackTrace"])
    print(f"[ERROR] {error['errorType']}: {error['errorMessage']}", file=sys.stderr)
    if trace:
        print(f"Traceback (most recent call last):\n{trace}", end="", file=sys.stderr)
    sys.stderr.flush()


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
        except Exception as error:
            failure = error_object(error, "Runtime.ImportModuleError")
            failure["errorMessage"] = f"Unable to import module '{self.handler_path}': {error}"
            _log_error(failure)
            # The invocation that waits for this cold start fails; the next starts afresh.
            self._send(wire.INIT_ERROR, json.dumps(failure).encode())
            return
        init_ms = (time.perf_counter() - started) * 1000
        self._send(wire.READY, f"{init_ms:.3f}".encode())
        answers: list[bytes] = []
        while True:
            if answers and not self.reader.pending:  # about to wait: send what is done
                self._flush(answers)
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
            answers.append(wire.answer(kind, time.perf_counter() - started, payload))
            if sum(map(len, answers)) > 1 << 16:
                self._flush(answers)

    def _import_handler(self) -> Any:
        module_name, _, attribute = self.handler_path.rpartition(".")
        if not module_name:
            raise ImportError(f"Bad handler {self.handler_path!r}: expected module.function")
        module = importlib.import_module(module_name)
        handler = getattr(module, attribute, None)
        if not callable(handler):
            raise AttributeError(f"Handler {attribute!r} missing on module {module_name!r}")
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
            _log_error(failure)
            return wire.ERROR, json.dumps(failure).encode()
        try:
            payload = json.dumps(result, default=_decimal_as_float).encode()
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
        sys.stdout.flush()  # the function's print() lines before its answer
        self.connection.sendall(wire.frame(kind + payload))

    def _flush(self, answers: list[bytes]) -> None:
        """Answers to invocations that were sent ahead go back together: one wake-up of the
        gateway for all of them."""
        sys.stdout.flush()
        self.connection.sendall(answers[0] if len(answers) == 1 else b"".join(answers))
        answers.clear()


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

"""A start-up check: each function's cold start runs once, in an execution environment started
for the check alone, so that a handler that cannot be loaded is reported before anything is
served. The first invocation still gets a cold start of its own, as in Lambda.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from books_api.local.lambda_runtime import wire
from books_api.local.lambda_runtime.environments import INIT_TIMEOUT_S, SANDBOX_MODULE
from books_api.local.lambda_runtime.function import LambdaFunction


@dataclass(frozen=True)
class ColdStartFailure:
    function: str  # the function's name
    handler: str
    error_type: str  # as Lambda reports it, e.g. Runtime.ImportModuleError
    message: str
    where: str | None  # "file, line N" of the innermost frame, when there is one

    def describe(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return (
            f"function {self.function} ({self.handler}) fails its cold start: "
            f"{self.error_type}: {self.message}{place}"
        )


def check_cold_starts(functions: Iterable[LambdaFunction]) -> list[ColdStartFailure]:
    """Start one environment per function at once, wait for each to import its handler
    (up to Lambda's 10 s init limit), stop them, and return the failures."""
    started = [_Probe(function) for function in functions]
    deadline = time.monotonic() + INIT_TIMEOUT_S
    try:
        outcomes = [probe.outcome(deadline) for probe in started]
    finally:
        for probe in started:
            probe.stop()
    return [failure for failure in outcomes if failure is not None]


class _Probe:
    def __init__(self, function: LambdaFunction) -> None:
        self.spec = function.spec
        pool = function.environments
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", SANDBOX_MODULE, str(theirs.fileno()), pool.spec_json],
                pass_fds=(theirs.fileno(),),
                env=pool.process_environment(),
                stdin=subprocess.DEVNULL,
                # Its log is printed by the first invocation's own cold start.
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.connection = ours

    def outcome(self, deadline: float) -> ColdStartFailure | None:
        self.connection.settimeout(max(0.0, deadline - time.monotonic()))
        try:
            payload = wire.FrameReader(self.connection).read()
        except TimeoutError:
            return self._failure(
                "Sandbox.Timedout", f"Init phase timed out after {INIT_TIMEOUT_S:.2f} seconds"
            )
        except OSError as error:
            payload = None
            reason = str(error)
        else:
            reason = ""
        if payload is None:
            status = self.process.wait(timeout=5)
            reason = reason or (f"signal: {-status}" if status < 0 else f"exit status {status}")
            return self._failure("Runtime.ExitError", f"Runtime exited with error: {reason}")
        if payload[:1] == wire.READY:
            return None
        return self._from_error_object(_json(payload[1:]))

    def _from_error_object(self, error: dict[str, Any]) -> ColdStartFailure:
        trace = error.get("stackTrace") or []
        return self._failure(
            str(error.get("errorType", "Runtime.Unknown")),
            str(error.get("errorMessage", "")),
            _innermost_frame(trace),
        )

    def _failure(self, error_type: str, message: str, where: str | None = None) -> ColdStartFailure:
        return ColdStartFailure(self.spec.name, self.spec.handler, error_type, message, where)

    def stop(self) -> None:
        self.connection.close()  # the sandbox sees the gateway go and ends
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _json(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {"errorType": "Runtime.Unknown", "errorMessage": payload.decode(errors="replace")}
    return value if isinstance(value, dict) else {"errorMessage": str(value)}


def _innermost_frame(trace: list[Any]) -> str | None:
    """`path, line N` of the last frame outside the runtime itself (a traceback entry reads
    `  File "path", line N, in name\\n    code\\n`)."""
    for entry in reversed(trace):
        first = str(entry).strip().splitlines()[0] if str(entry).strip() else ""
        if not first.startswith('File "') or "books_api/local/" in first or "<frozen" in first:
            continue
        path, _, rest = first[len('File "') :].partition('", ')
        return f"{path}, {rest.split(',')[0]}"
    return None

"""The stage access log: one JSON line per request, in the deployed stage's format.

The format is one file, `books_api/data/access_log_format.json` (field -> `$context`
variable), which the Terraform module reads too (`infra/terraform/api.tf`). The stage logs
Terraform's `jsonencode` of it, which writes the keys in sorted order; a line here has the
same keys in the same order, each with the value API Gateway gives that variable, and "-"
where the variable has none (as API Gateway logs it).
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _quoted
from operator import attrgetter
from pathlib import Path
from typing import Any, TextIO

FORMAT_FILE = Path(__file__).resolve().parents[2] / "data" / "access_log_format.json"


@dataclass(slots=True)
class AccessEntry:
    """The `$context` values of one request, filled in as the stage answers it."""

    request_id: str
    extended_request_id: str
    ip: str
    request_time_epoch: int
    http_method: str
    stage: str
    # Filled in only when the line is written (no cost while the access log is off):
    user_agent: str | None = None
    request_time: str = ""
    path: str = ""  # with the stage, as `$context.path`
    protocol: str = "HTTP/1.1"
    resource_path: str = "-"
    status: int = 0
    response_length: int = 0
    response_latency: int = 0  # ms
    principal_id: str | None = None  # from a Lambda authorizer's answer
    integration_status: int | None = None  # the status the function's proxy response set
    error_message: str | None = None  # the gateway's own error, when it answered one
    error_response_type: str | None = None


# The `$context` variables the local stage can log, and the AccessEntry field holding each.
VARIABLES = {
    "$context.requestId": "request_id",
    "$context.extendedRequestId": "extended_request_id",
    "$context.identity.sourceIp": "ip",
    "$context.identity.userAgent": "user_agent",
    "$context.requestTime": "request_time",
    "$context.requestTimeEpoch": "request_time_epoch",
    "$context.httpMethod": "http_method",
    "$context.path": "path",
    "$context.stage": "stage",
    "$context.protocol": "protocol",
    "$context.resourcePath": "resource_path",
    "$context.status": "status",
    "$context.responseLength": "response_length",
    "$context.responseLatency": "response_latency",
    "$context.authorizer.principalId": "principal_id",
    "$context.integration.status": "integration_status",
    "$context.error.message": "error_message",
    "$context.error.responseType": "error_response_type",
}


class FormatError(ValueError):
    """The access log format names a variable the local stage cannot fill."""


def load_format(path: Path = FORMAT_FILE) -> dict[str, str]:
    """The stage's format: field name -> `$context` variable."""
    fields = json.loads(path.read_text("utf-8"))
    if not isinstance(fields, dict) or not fields:
        raise FormatError(f"{path}: the access log format must be a JSON object of fields")
    for name, variable in fields.items():
        if variable not in VARIABLES:
            raise FormatError(
                f"{path}: field {name!r} logs {variable!r}, which the local stage cannot "
                f"fill (it can: {', '.join(VARIABLES)})"
            )
    return fields


class AccessLog:
    """Lines written during one turn of the event loop reach the stream together, at the end
    of that turn (before the responses they describe are sent)."""

    def __init__(self, stream: TextIO | None = None, fields: dict[str, str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.fields = load_format() if fields is None else fields
        names = sorted(self.fields)  # the order of Terraform's jsonencode
        self._keys = [_quoted(name) for name in names]
        self._values = attrgetter(*(VARIABLES[self.fields[name]] for name in names))
        self._lines: list[str] = []

    def line(self, entry: AccessEntry) -> str:
        values: Any = self._values(entry)
        if len(self._keys) == 1:
            values = (values,)
        # The same line as json.dumps of the fields, at a fraction of its cost.
        parts = ",".join(
            f"{key}:{_quoted(_text(value))}" for key, value in zip(self._keys, values, strict=True)
        )
        return f"{{{parts}}}\n"

    def write(self, entry: AccessEntry) -> None:
        line = self.line(entry)
        if not self._lines:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no event loop: write it now
                self._lines.append(line)
                self.flush()
                return
        self._lines.append(line)

    def flush(self) -> None:
        lines, self._lines = self._lines, []
        if lines:
            self.stream.write("".join(lines))
            self.stream.flush()


def _text(value: object) -> str:
    if value is None or value == "":
        return "-"
    return value if isinstance(value, str) else str(value)

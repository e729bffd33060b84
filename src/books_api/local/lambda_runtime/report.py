"""What Lambda writes to a function's log around each invocation: START, END and REPORT."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class InvocationReport:
    """One invocation as its execution environment measured it."""

    request_id: str
    duration_ms: float  # the handler's run (a timeout: the function's timeout)
    init_ms: float | None  # the cold start this invocation waited for, if any
    max_memory_mb: int  # the environment's peak resident memory so far
    status: str | None = None  # None when the runtime ran to the end; "timeout" or "error"
    error_type: str | None = None  # the runtime's error ("Runtime.ExitError", ...)


def start_line(request_id: str) -> str:
    return f"START RequestId: {request_id} Version: $LATEST"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(report: InvocationReport, memory_mb: int) -> str:
    """Lambda's REPORT line: tab-separated fields; the billed duration is rounded up to the
    millisecond and, for a cold start, includes the init phase (as Lambda bills it since
    August 2025)."""
    billed = report.duration_ms + (report.init_ms or 0.0)
    fields = [
        f"REPORT RequestId: {report.request_id}",
        f"Duration: {report.duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(billed)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {report.max_memory_mb} MB",
    ]
    if report.init_ms is not None:
        fields.append(f"Init Duration: {report.init_ms:.2f} ms")
    if report.status is not None:
        fields.append(f"Status: {report.status}")
    if report.error_type is not None:
        fields.append(f"Error Type: {report.error_type}")
    return "\t".join(fields)

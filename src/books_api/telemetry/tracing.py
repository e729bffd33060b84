"""X-Ray traces through Powertools' Tracer, or nothing at all where tracing is off.

Powertools' Tracer imports the X-Ray SDK even when disabled, and outside Lambda the SDK's
recorder builds two botocore clients for centralised sampling at import (about 150 ms on
this machine); so with tracing off no Tracer is built, and the SDK is never imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from books_api.settings import TelemetrySettings

Handler = Callable[[Any, Any], Any]
# Only the AWS SDK is patched: each DynamoDB, Secrets Manager or SSM call is a subsegment.
PATCHED_MODULES = ("botocore",)


class FunctionTracer(Protocol):
    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler: ...

    def put_annotation(self, key: str, value: str) -> None: ...


class NoTracer:
    """Where tracing is off: the handler as it is, annotations dropped."""

    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler:
        return lambda_handler

    def put_annotation(self, key: str, value: str) -> None:
        return None


class _PowertoolsTracer:
    def __init__(self, service: str) -> None:
        from aws_lambda_powertools import Tracer

        self.tracer = Tracer(service=service, patch_modules=PATCHED_MODULES)

    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler:
        # The response would be copied into the trace as metadata: book data has no place there.
        captured: Handler = self.tracer.capture_lambda_handler(
            lambda_handler, capture_response=False
        )
        return captured

    def put_annotation(self, key: str, value: str) -> None:
        self.tracer.put_annotation(key=key, value=value)


def function_tracer(settings: TelemetrySettings) -> FunctionTracer:
    if settings.tracing:
        return _PowertoolsTracer(settings.service_name)
    return NoTracer()

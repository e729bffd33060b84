"""Lambda functions as the gateway calls them: each with its own environment variables and
its own execution environments (processes), bounded by its timeout."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from books_api.local.lambda_runtime import wire
from books_api.local.lambda_runtime.environments import (
    DEFAULT_LIMIT,
    EnvironmentPool,
    Invocation,
    InvocationTimeout,
)
from books_api.local.lambda_runtime.functions_file import FunctionSpec
from books_api.settings import aws_region


class LambdaFunction:
    def __init__(
        self,
        spec: FunctionSpec,
        extra_environment: dict[str, str] | None = None,
        max_concurrency: int = DEFAULT_LIMIT,
    ) -> None:
        self.spec = spec
        self.environment = {**spec.environment, **(extra_environment or {})}
        self.environments = EnvironmentPool(spec, self.lambda_environment(), max_concurrency)

    def lambda_environment(self) -> dict[str, str]:
        """The variables Lambda sets (the region as the settings resolve it from the
        gateway's environment), then the function's own."""
        region = aws_region()
        return {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": self.spec.handler,
            "TZ": ":UTC",
            **self.environment,
        }

    async def invoke(self, event: dict[str, Any], wait_s: float, request_id: str) -> Any:
        """The handler's result; InvocationFailed when the invocation fails (including the
        function's own timeout), InvocationTimeout when `wait_s` passes first."""
        event_json = json.dumps(event, separators=(",", ":")).encode()
        return await self._invoke(wire.json_invocation(request_id, event_json), wait_s, request_id)

    async def invoke_proxy(self, arguments: tuple[Any, ...], wait_s: float, request_id: str) -> Any:
        """`invoke` with the proxy event built from `events.proxy_event_arguments` in the
        execution environment."""
        return await self._invoke(wire.proxy_invocation(request_id, arguments), wait_s, request_id)

    async def _invoke(self, frame: bytes, wait_s: float, request_id: str) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self.environments.submit(Invocation(frame, future, request_id))
        # A timer instead of asyncio.wait_for: no extra task per invocation.
        timer = loop.call_at(loop.time() + wait_s, _give_up, future, self.spec.name)
        try:
            answer = await future
        finally:
            timer.cancel()
        return json.loads(answer.decode())

    def close(self) -> None:
        self.environments.close()


def _give_up(future: asyncio.Future[bytes], name: str) -> None:
    if not future.done():
        future.set_exception(InvocationTimeout(name))


def add_code_roots(*directories: Path) -> None:
    """Let handlers be imported from these directories too (after installed packages),
    as SAM's CodeUri does for a template's functions."""
    for directory in directories:
        entry = str(directory.resolve())
        if entry not in sys.path:
            sys.path.append(entry)

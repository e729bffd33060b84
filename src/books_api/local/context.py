"""The Lambda context object handed to each invocation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from books_api.local.document import FunctionSpec

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float  # time.monotonic() when the function times out
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: None = None
    client_context: None = None
    tenant_id: None = field(default=None)

    @classmethod
    def for_invocation(cls, spec: FunctionSpec, request_id: str) -> LambdaContext:
        return cls(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=function_arn(spec.name),
            aws_request_id=request_id,
            deadline=time.monotonic() + spec.timeout_s,
            log_group_name=f"/aws/lambda/{spec.name}",
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"

"""The Lambda context object handed to each invocation (built inside its environment)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    aws_request_id: str
    deadline: float  # time.monotonic() when the function times out
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: None = None
    client_context: None = None
    tenant_id: None = field(default=None)

    def __post_init__(self) -> None:
        self.invoked_function_arn = self.invoked_function_arn or function_arn(self.function_name)
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"

"""IAM policies of a Lambda authorizer: build them, and evaluate them as API Gateway does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class MethodArn:
    """`arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/{METHOD}/{path}`."""

    region: str
    account: str
    api_id: str
    stage: str
    method: str
    path: str
    partition: str = "aws"

    @classmethod
    def parse(cls, arn: str) -> MethodArn:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
            raise ValueError("not an execute-api method ARN")
        if not parts[1].startswith("aws") or not parts[3] or not parts[4]:
            raise ValueError("not an execute-api method ARN")
        api_id, stage, method, *path = parts[5].split("/")
        if not api_id or not stage or not method:
            raise ValueError("not an execute-api method ARN")
        return cls(parts[3], parts[4], api_id, stage, method, "/".join(path), parts[1])

    @property
    def stage_arn(self) -> str:
        """`arn:...:{api_id}/{stage}`, the prefix of every route of the stage."""
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account}:"
            f"{self.api_id}/{self.stage}"
        )

    def with_route(self, method: str, path: str) -> str:
        """The ARN of another route (`*` for every method or path) in the same stage."""
        return f"{self.stage_arn}/{method}/{path.lstrip('/')}"

    def __str__(self) -> str:
        return self.with_route(self.method, self.path)


def build_policy(
    principal_id: str,
    effect: str,
    resources: list[str],
    context: Mapping[str, str | int | bool] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}
            ],
        },
    }
    if context:
        response["context"] = dict(context)
    return response


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "no matching allow"


def evaluate(policy_document: dict[str, Any], method_arn: str) -> Decision:
    """Evaluate statements for `execute-api:Invoke` on `method_arn`; an explicit Deny wins."""
    allowed = False
    for statement in _statements(policy_document):
        if not _matches_any(statement.get("Action"), "execute-api:Invoke"):
            continue
        if not _matches_any(statement.get("Resource"), method_arn):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return Decision.EXPLICIT_DENY
        if effect == "Allow":
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy_document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements if isinstance(s, dict)]


def _matches_any(patterns: Any, value: str) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list):
        return False
    return any(isinstance(p, str) and _wildcard(p).fullmatch(value) for p in patterns)


@lru_cache(maxsize=4096)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM wildcards: `*` any run of characters, `?` any one character."""
    return re.compile(
        "".join(
            ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
        ),
        re.DOTALL,
    )

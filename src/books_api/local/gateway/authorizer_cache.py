"""API Gateway's authorizer result cache: a result is kept per identity for the TTL.

The identity is the tuple of the authorizer's identity source values: the token of a TOKEN
or Cognito authorizer, every identity source of a REQUEST authorizer.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Generic, TypeVar

from books_api.auth.policy import Decision, evaluate

_DECISIONS_PER_ENTRY = 256
Identity = tuple[str, ...]
Result = TypeVar("Result")


class Authorization:
    """An authorizer's result as the gateway uses it: the policy, evaluated once per method
    ARN, and the `requestContext.authorizer` the function sees."""

    __slots__ = ("_context", "_decisions", "policy")

    def __init__(self, result: dict[str, Any]) -> None:
        self.policy: dict[str, Any] = result["policyDocument"]
        self._decisions: dict[str, Decision] = {}
        # The function sees every context value as a string ("123", "true"); null stays null.
        self._context: dict[str, Any] = {
            **{key: context_string(value) for key, value in (result.get("context") or {}).items()},
            "principalId": str(result["principalId"]),
        }

    def decide(self, method_arn: str) -> Decision:
        decision = self._decisions.get(method_arn)
        if decision is None:
            decision = evaluate(self.policy, method_arn)
            if len(self._decisions) >= _DECISIONS_PER_ENTRY:
                self._decisions.clear()
            self._decisions[method_arn] = decision
        return decision

    def context(self, latency_ms: int) -> dict[str, Any]:
        return {**self._context, "integrationLatency": latency_ms}


class AuthorizerCache(Generic[Result]):
    def __init__(self, ttl_s: int, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[Identity, tuple[float, Result]] = {}
        self._lock = threading.Lock()

    def get(self, identity: Identity) -> Result | None:
        if self.ttl_s <= 0:
            return None
        entry = self._entries.get(identity)
        if entry is None:
            return None
        expires, result = entry
        if time.monotonic() >= expires:
            with self._lock:
                self._entries.pop(identity, None)
            return None
        return result

    def put(self, identity: Identity, result: Result) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[identity] = (time.monotonic() + self.ttl_s, result)


def context_string(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

"""API Gateway's authorizer result cache: the policy is kept per token for the TTL."""

from __future__ import annotations

import threading
import time
from typing import Any


class AuthorizerCache:
    def __init__(self, ttl_s: int, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> dict[str, Any] | None:
        if self.ttl_s <= 0:
            return None
        entry = self._entries.get(token)
        if entry is None:
            return None
        expires, result = entry
        if time.monotonic() >= expires:
            with self._lock:
                self._entries.pop(token, None)
            return None
        return result

    def put(self, token: str, result: dict[str, Any]) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[token] = (time.monotonic() + self.ttl_s, result)

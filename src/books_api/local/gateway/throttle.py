"""Stage throttling: a token bucket with a steady rate and a burst, as API Gateway applies."""

from __future__ import annotations

import threading
import time

# API Gateway's default account-level limits per Region.
DEFAULT_RATE = 10_000.0
DEFAULT_BURST = 5_000


class TokenBucket:
    """`rate` tokens per second refill a bucket of `burst` tokens; each request takes one."""

    def __init__(self, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("throttling needs a rate above 0 and a burst of at least 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """True when the request may pass; False when it is throttled (429)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

"""A lean thread pool for function invocations: a job and a completion callback, no futures.

Compared with `loop.run_in_executor`, it skips the concurrent.futures.Future and its chaining
to an asyncio.Future, which is most of the cost of the hop at gateway request rates.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

Done = Callable[[Any, BaseException | None], None]
_STOP = object()


class Workers:
    """Threads started on demand, up to `limit`; idle ones wait on one queue."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, job: Callable[[], Any], done: Done) -> None:
        """Run `job` on a worker; `done(result, error)` is called on that worker."""
        with self._lock:
            if self._idle == 0 and self._threads < self.limit:
                self._threads += 1
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{self._threads}", daemon=True
                )
                thread.start()
            else:
                self._idle -= 1  # this job will take an idle worker (or wait for one)
        self._jobs.put((job, done))

    def close(self) -> None:
        with self._lock:
            count = self._threads
        for _ in range(count):
            self._jobs.put(_STOP)

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            job, done = item
            try:
                result = job()
            except BaseException as error:
                done(None, error)
            else:
                done(result, None)
            with self._lock:
                self._idle += 1

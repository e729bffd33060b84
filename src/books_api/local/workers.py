"""A lean thread pool for function invocations: a job and a completion callback, no futures.

Compared with `loop.run_in_executor`, it skips the concurrent.futures.Future and its chaining
to an asyncio.Future, which is most of the cost of the hop at gateway request rates.

Few threads run fast jobs: `core` of them. Every extra thread contends for the GIL with the
event loop, which costs more CPU than the jobs themselves. Extra threads (up to `limit`)
start only while jobs wait and every worker has been on one job for over `stall_s`: a slow
or stuck job never holds up the others for long, and slow jobs still run side by side. (How
long jobs wait in the queue says nothing: it is long whenever the CPU is saturated.) An extra
thread parks after its job unless the workers are still stalled, and ends after `park_s`
parked: reusing parked threads keeps thread churn (and the memory it costs) down.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

Done = Callable[[Any, BaseException | None], None]
_STOP = object()


class Workers:
    """Threads started on demand; idle ones wait on one queue."""

    def __init__(
        self,
        name: str,
        limit: int,
        core: int = 1,
        stall_s: float = 0.005,
        park_s: float = 60.0,
    ) -> None:
        self.name = name
        self.limit = limit
        self.core = max(1, min(limit, core))
        self.stall_s = stall_s
        self.park_s = park_s
        self._parked: list[tuple[int, queue.SimpleQueue[Any]]] = []
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._started = 0
        self._idle = 0  # idle workers minus queued jobs: below zero, jobs are waiting
        self._busy_since: dict[int, float] = {}  # worker number -> when its job began; 0: idle
        self._backlog = threading.Event()
        self._watching = False
        self._closed = False

    @property
    def threads(self) -> int:
        return self._threads

    def submit(self, job: Callable[[], Any], done: Done) -> None:
        """Run `job` on a worker; `done(result, error)` is called on that worker."""
        with self._lock:
            if self._idle > 0 or self._threads >= self.core:
                self._idle -= 1  # this job will take an idle worker (or wait for one)
                if self._idle < 0:
                    self._watch()
            else:
                self._start()
        self._jobs.put((job, done))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            count = self._threads
            parked = list(self._parked)
            self._parked.clear()
        self._backlog.set()
        for _ in range(count):
            self._jobs.put(_STOP)
        for _, box in parked:
            box.put(_STOP)

    def _start(self) -> None:
        self._threads += 1
        self._started += 1
        number = self._started
        self._busy_since[number] = 0.0
        threading.Thread(
            target=self._work, args=(number,), name=f"{self.name}-{number}", daemon=True
        ).start()

    def _watch(self) -> None:
        if not self._watching:
            self._watching = True
            threading.Thread(
                target=self._watch_stalls, name=f"{self.name}-watch", daemon=True
            ).start()
        self._backlog.set()

    def _watch_stalls(self) -> None:
        """While jobs wait, add a thread each time the workers stall for `stall_s`."""
        while True:
            self._backlog.wait()
            time.sleep(self.stall_s)
            with self._lock:
                if self._closed:
                    return
                if self._idle >= 0:
                    self._backlog.clear()
                    continue
                if self._threads < self.limit and self._stalled():
                    # One more at a time: a stall under a saturated CPU is often brief.
                    self._add_worker()
                    self._idle += 1  # the new worker takes a waiting job

    def _add_worker(self) -> None:
        """A parked extra thread back to work, or a new one (called with the lock)."""
        if not self._parked:
            self._start()
            return
        number, box = self._parked.pop()
        self._threads += 1
        self._busy_since[number] = 0.0
        box.put(True)

    def _work(self, number: int) -> None:
        jobs = self._jobs
        busy_since = self._busy_since
        extra = number > self.core
        box: queue.SimpleQueue[Any] = queue.SimpleQueue()
        while True:
            item = jobs.get()
            if item is _STOP:
                return
            busy_since[number] = time.monotonic()
            job, done = item
            try:
                result = job()
            except BaseException as error:
                done(None, error)
            else:
                done(result, None)
            busy_since[number] = 0.0
            with self._lock:
                if not extra or self._stalled(besides=number):
                    self._idle += 1
                    continue
                self._threads -= 1
                del busy_since[number]
                self._parked.append((number, box))
            if not self._park(number, box):
                return

    def _park(self, number: int, box: queue.SimpleQueue[Any]) -> bool:
        """Wait to be called back to work (True) or for `park_s` to pass (False)."""
        try:
            signal = box.get(timeout=self.park_s)
        except queue.Empty:
            with self._lock:
                if (number, box) in self._parked:
                    self._parked.remove((number, box))
                    return False
            signal = box.get()  # called back just as the wait ended
        return signal is not _STOP

    def _stalled(self, besides: int = 0) -> bool:
        """Jobs wait and every worker (but `besides`) is stuck on one job; called with the lock."""
        if self._idle >= 0:
            return False
        stuck_before = time.monotonic() - self.stall_s
        return all(
            0.0 < since <= stuck_before
            for number, since in self._busy_since.items()
            if number != besides
        )

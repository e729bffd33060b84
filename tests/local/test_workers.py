"""The function thread pool: few threads for quick jobs, more only while jobs are stuck."""

from __future__ import annotations

import threading
import time
from typing import Any

from books_api.local.workers import Workers


def _collect(count: int) -> tuple[list[Any], threading.Event, Any]:
    results: list[Any] = []
    finished = threading.Event()
    lock = threading.Lock()

    def done(result: Any, error: BaseException | None) -> None:
        with lock:
            results.append(result if error is None else error)
            if len(results) == count:
                finished.set()

    return results, finished, done


def test_quick_jobs_share_one_thread() -> None:
    workers = Workers("quick", limit=64)
    results, finished, done = _collect(500)
    for number in range(500):
        workers.submit(lambda number=number: number * 2, done)
    assert finished.wait(10)
    assert sorted(results) == [number * 2 for number in range(500)]
    assert workers.threads == 1
    workers.close()


def test_a_stuck_job_does_not_hold_up_the_jobs_behind_it() -> None:
    workers = Workers("stuck", limit=64)
    release = threading.Event()
    stuck_results, stuck_done, on_stuck = _collect(1)
    workers.submit(lambda: release.wait(30), on_stuck)
    results, finished, done = _collect(20)
    started = time.monotonic()
    for number in range(20):
        workers.submit(lambda number=number: number, done)
    assert finished.wait(2), "jobs queued behind a stuck job never ran"
    assert time.monotonic() - started < 1
    assert sorted(results) == list(range(20))
    release.set()
    assert stuck_done.wait(5) and stuck_results == [True]
    workers.close()


def test_slow_jobs_run_side_by_side_and_extra_threads_rest_afterwards() -> None:
    workers = Workers("slow", limit=64)
    results, finished, done = _collect(16)
    started = time.monotonic()
    for _ in range(16):
        workers.submit(lambda: time.sleep(0.3), done)
    assert finished.wait(5)
    assert time.monotonic() - started < 1.5  # one after another would take 4.8 s
    assert results == [None] * 16
    deadline = time.monotonic() + 5
    while workers.threads > workers.core and time.monotonic() < deadline:
        workers.submit(lambda: None, lambda result, error: None)
        time.sleep(0.02)
    assert workers.threads == workers.core
    workers.close()


def test_an_exception_reaches_the_callback_and_the_worker_lives_on() -> None:
    workers = Workers("errors", limit=4)
    results, finished, done = _collect(2)
    workers.submit(lambda: 1 / 0, done)
    workers.submit(lambda: "after", done)
    assert finished.wait(5)
    assert isinstance(results[0], ZeroDivisionError) and results[1] == "after"
    workers.close()

"""Execution environments: each function's invocations run in processes of its own, as Lambda
runs them.

An environment is a `sandbox` process: it imports the handler once (the cold
start) and runs one invocation at a time, with the function's own environment variables. A
crash, `sys.exit()` or a timeout ends that process only (the invocation fails, the next one gets
a fresh environment), never the gateway.

Everything here runs on the gateway's event loop. An environment's answers are read in a loop
callback, which sends it the next waiting invocations at once. A fast function's environment
is sent up to `AHEAD` invocations ahead: under load it does not wait for the loop between
invocations, yet it runs them one at a time, each timed from when it starts, and answers
each before it starts the next (so that the gateway always knows which of them ran).

Few environments run fast functions: another starts only while invocations wait and every
warm environment is stuck on one of them (waiting on a sleep or I/O for `STALL_S`, or
computing for `COMPUTE_STALL_S` while fewer than one per core computes), one cold start at a
time. Slow functions thus run side by side after a few milliseconds.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import math
import os
import socket
import subprocess
import sys
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from books_api.local.lambda_runtime import wire
from books_api.local.lambda_runtime.functions_file import FunctionSpec
from books_api.local.lambda_runtime.report import InvocationReport
from books_api.local.lambda_runtime.sandbox import SYS_PATH_VARIABLE

SANDBOX_MODULE = "books_api.local.lambda_runtime.sandbox"  # run with python -m
DEFAULT_LIMIT = 16  # environments per function; beyond that, invocations wait their turn
STALL_S = 0.005  # an environment waiting this long on one invocation counts as stalled
COMPUTE_STALL_S = 0.1  # and one computing this long
INIT_TIMEOUT_S = 10.0  # Lambda's limit on a cold start (the handler's import)
MEMORY_CHECK_S = 0.1  # how often environments' memory is compared with the function's setting
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
FAST_S = 0.001  # an environment whose handler runs faster than this is sent work ahead
AHEAD = 8  # how many invocations such an environment is sent ahead
AHEAD_STALL_S = 0.05  # an environment with invocations ahead counts as stalled this late
_LIVE: weakref.WeakSet[Environment] = weakref.WeakSet()


class InvocationTimeout(Exception):
    """The caller stopped waiting for the function (the integration timeout)."""


class InvocationFailed(Exception):
    """The invocation failed; `error` is Lambda's error object (`errorType`, `errorMessage`)."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.error = error
        self.error_type = str(error.get("errorType", ""))
        self.message = str(error.get("errorMessage", ""))
        super().__init__(f"{self.error_type}: {self.message}")


@dataclass(eq=False, slots=True)
class Invocation:
    frame: bytes  # what the environment is sent (wire.invocation)
    future: asyncio.Future[bytes]  # the handler's result as JSON
    request_id: str


def _settle(future: asyncio.Future[bytes], result: bytes | BaseException) -> None:
    if future.done():  # the caller stopped waiting
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class Environment:
    """One sandbox process and the gateway's end of its socket.

    `inflight` are the invocations sent to it, in order: the first runs, the others wait in
    the socket (a fast function's environment is sent its next invocations ahead, so that it
    never sleeps between them under load; it still runs them one at a time).
    """

    def __init__(self, pool: EnvironmentPool) -> None:
        self.pool = pool
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", SANDBOX_MODULE, str(theirs.fileno()), pool.spec_json],
                pass_fds=(theirs.fileno(),),
                env=pool.process_environment(),
                stdin=subprocess.DEVNULL,
                stdout=pool.stdout,
            )  # fmt: skip
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        self.connection = ours
        self.fd = ours.fileno()
        self.ready = False  # the handler is imported
        self.created_at = time.monotonic()
        self.init_ms: float | None = None  # the cold start, until an invocation reports it
        self.inflight: deque[Invocation] = deque()
        self.started_at = 0.0  # when the first of `inflight` began
        # How long the handler took last time, as the sandbox measured it (unknown: not fast).
        self.last_run_s = math.inf
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop reading the socket
        # The first of `inflight`, CPU time and time at the pool's last stall check.
        self.last_check: tuple[Invocation | None, int, float] = (None, 0, 0.0)
        self._timer: asyncio.TimerHandle | None = None
        self._received = bytearray()
        self._unsent = b""
        self.closed = False
        _LIVE.add(self)

    def send(self, invocation: Invocation, loop: asyncio.AbstractEventLoop) -> None:
        if self.loop is not loop:
            self._unwatch()
            loop.add_reader(self.fd, self._readable)
            self.loop = loop
        self.inflight.append(invocation)
        if len(self.inflight) == 1:
            self._begin(loop)
        self._write(invocation.frame)

    def _begin(self, loop: asyncio.AbstractEventLoop) -> None:
        """The first of `inflight` starts running: its own timeout starts now, or once the
        cold start is over (Lambda times the init phase on its own, up to 10 s)."""
        self.started_at = time.monotonic()
        if self.ready:
            timeout, expire = self.pool.spec.timeout_s, self._timed_out
        else:
            timeout, expire = INIT_TIMEOUT_S, self._init_timed_out
        self._timer = loop.call_at(loop.time() + timeout, expire, self.inflight[0])

    def _write(self, data: bytes) -> None:
        if self._unsent:  # earlier frames still wait for room in the socket
            self._unsent += data
            return
        try:
            sent = self.connection.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            return  # the process has gone: its end of file arrives at the reader
        if sent < len(data):
            self._unsent = data[sent:]
            assert self.loop is not None
            self.loop.add_writer(self.fd, self._writable)

    def _writable(self) -> None:
        try:
            sent = self.connection.send(self._unsent)
        except BlockingIOError:
            return
        except OSError:
            sent = len(self._unsent)
        self._unsent = self._unsent[sent:]
        if not self._unsent and self.loop is not None:
            self.loop.remove_writer(self.fd)

    def receive(self) -> None:
        """Read what the sandbox has sent, now."""
        if self.loop is not None and not self.closed:
            self._readable()

    def _readable(self) -> None:
        try:
            chunk = self.connection.recv(1 << 18)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._exited()
            return
        received = self._received
        received += chunk
        for payload in wire.take_frames(received):
            self._handle(payload)
            if self.closed:
                return
        self.pool.finished(self)

    def _handle(self, payload: bytes) -> None:
        kind = payload[:1]
        if kind == wire.READY:
            self.ready = True
            self.init_ms = float(payload[1:] or 0)
            if self.inflight and self.loop is not None:  # the first invocation starts now
                if self._timer is not None:
                    self._timer.cancel()
                self._begin(self.loop)
            return
        if not self.inflight:
            return
        invocation = self._finish()
        if kind == wire.INIT_ERROR:  # the process ends; the next invocation starts afresh
            error = json.loads(payload[1:])
            self.init_ms = (time.monotonic() - self.created_at) * 1000
            self._report(invocation, 0.0, "error", error.get("errorType"))
            self._fail(invocation, error)
            self._end(kill=False)
            return
        self.last_run_s, body = wire.split_answer(payload)
        self._report(invocation, self.last_run_s)
        if kind == wire.ANSWER:
            _settle(invocation.future, body)
        else:
            self._fail(invocation, json.loads(body))
        if self.inflight:
            assert self.loop is not None
            self._begin(self.loop)

    def _finish(self) -> Invocation:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return self.inflight.popleft()

    def _fail(self, invocation: Invocation, error: dict[str, Any]) -> None:
        error["requestId"] = invocation.request_id
        _settle(invocation.future, InvocationFailed(error))

    def _timed_out(self, invocation: Invocation) -> None:
        if not self.inflight or self.inflight[0] is not invocation:
            return
        self._finish()
        timeout = self.pool.spec.timeout_s
        # Lambda stops the environment and logs the timeout in the function's log.
        print(f"{invocation.request_id} Task timed out after {timeout:.2f} seconds",
              file=sys.stderr, flush=True)  # fmt: skip
        self._report(invocation, timeout, "timeout")
        # What Lambda's Invoke API returns for it.
        message = (
            f"RequestId: {invocation.request_id} Error: Task timed out after {timeout:.2f} seconds"
        )
        self._fail(invocation, {"errorType": "Sandbox.Timedout", "errorMessage": message})
        self._end(kill=True)

    def _init_timed_out(self, invocation: Invocation) -> None:
        if not self.inflight or self.inflight[0] is not invocation or self.ready:
            return
        self._finish()
        message = f"Init phase timed out after {INIT_TIMEOUT_S:.2f} seconds"
        print(f"{invocation.request_id} {message}", file=sys.stderr, flush=True)
        self.init_ms = INIT_TIMEOUT_S * 1000
        self._report(invocation, 0.0, "timeout")
        self._fail(invocation, {"errorType": "Sandbox.Timedout", "errorMessage": message})
        self._end(kill=True)

    def out_of_memory(self) -> None:
        """Over the function's memory setting: the process is stopped, as Lambda does."""
        invocation = self._finish() if self.inflight else None
        name = self.pool.spec.name
        limit = self.pool.spec.memory_mb
        print(f"{name}: Runtime.OutOfMemory: the environment used more than {limit} MB",
              file=sys.stderr, flush=True)  # fmt: skip
        if invocation is not None:
            self._report(invocation, time.monotonic() - self.started_at, "error",
                         "Runtime.OutOfMemory")  # fmt: skip
        self._end(kill=True)
        if invocation is not None:
            message = "Runtime exited with error: signal: killed"
            self._fail(invocation, {"errorType": "Runtime.OutOfMemory", "errorMessage": message})

    def _report(
        self,
        invocation: Invocation,
        duration_s: float,
        status: str | None = None,
        error_type: str | None = None,
    ) -> None:
        """Tell the pool's `on_report` how the invocation went (the first one after a cold
        start carries its init duration)."""
        on_report = self.pool.on_report
        if on_report is None:
            return
        init_ms, self.init_ms = self.init_ms, None
        peak_mb = self.peak_resident_bytes() // (1024 * 1024)
        report = InvocationReport(
            invocation.request_id, duration_s * 1000, init_ms, peak_mb, status, error_type
        )
        on_report(report)

    def peak_resident_bytes(self) -> int:
        """The process's peak resident memory (VmHWM; 0 where the kernel does not tell)."""
        try:
            with open(f"/proc/{self.process.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def resident_bytes(self) -> int:
        """The process's resident memory (0 where the kernel does not tell)."""
        try:
            with open(f"/proc/{self.process.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            return 0

    def _exited(self) -> None:
        invocation = self._finish() if self.inflight else None
        if invocation is not None:
            self._report(invocation, time.monotonic() - self.started_at, "error",
                         "Runtime.ExitError")  # fmt: skip
        status = self._end(kill=False)
        if invocation is not None:
            reason = f"signal: {-status}" if status < 0 else f"exit status {status}"
            message = f"Runtime exited with error: {reason}"
            self._fail(invocation, {"errorType": "Runtime.ExitError", "errorMessage": message})

    def _end(self, kill: bool) -> int:
        """The process is over: invocations sent but not started go back to the pool."""
        loop = self.loop
        status = self.kill() if kill else self.close()
        unstarted = list(self.inflight)
        self.inflight.clear()
        self.pool.lost(self, loop, unstarted)
        return status

    def close(self) -> int:
        """Stop the process (if it still runs) and return its exit status."""
        if not self.closed:
            self.closed = True
            if self._timer is not None:
                self._timer.cancel()
            self._unwatch()
            self.connection.close()
            _LIVE.discard(self)
        try:
            return self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> int:
        self.process.kill()
        return self.close()

    def cpu_ns(self) -> int:
        """Time the process has spent on a CPU or waiting for one, so far (0 where the kernel
        does not tell)."""
        try:
            with open(f"/proc/{self.process.pid}/schedstat", "rb") as schedstat:
                on_cpu, runnable = schedstat.read().split()[:2]
                return int(on_cpu) + int(runnable)
        except (OSError, ValueError):
            return 0

    def _unwatch(self) -> None:
        loop, self.loop = self.loop, None
        if loop is None:
            return
        try:
            loop.remove_reader(self.fd)
            loop.remove_writer(self.fd)
        except (RuntimeError, ValueError, OSError):  # that loop is closed
            pass


class EnvironmentPool:
    """A function's environments, and the invocations waiting for one."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: dict[str, str],
        limit: int = DEFAULT_LIMIT,
        stall_s: float = STALL_S,
        cold_starts: int = 1,
    ) -> None:
        self.spec = spec
        self.environment = environment
        self.limit = max(1, limit)
        self.stall_s = stall_s
        self.cores = os.cpu_count() or 1
        self.cold_starts = max(1, cold_starts)
        self.spec_json = json.dumps(
            {"name": spec.name, "handler": spec.handler, "timeout_s": spec.timeout_s,
             "memory_mb": spec.memory_mb}
        )  # fmt: skip
        self.environments: list[Environment] = []
        # Where the environments' stdout goes (None: the gateway's own), and who hears of
        # each finished invocation (`books-api invoke` prints Lambda's REPORT line).
        self.stdout: int | None = None
        self.on_report: Callable[[InvocationReport], None] | None = None
        self._waiting: deque[Invocation] = deque()
        self._growth: asyncio.TimerHandle | None = None
        self._memory_watch: asyncio.TimerHandle | None = None
        self._closed = False

    def process_environment(self) -> dict[str, str]:
        """The gateway's variables, then Lambda's and the function's own; the sandbox finds
        handlers on the gateway's import path."""
        return {
            **os.environ,
            **self.environment,
            SYS_PATH_VARIABLE: json.dumps(sys.path),
        }

    def submit(self, invocation: Invocation) -> None:
        loop = asyncio.get_running_loop()
        if self._closed:
            raise RuntimeError(f"{self.spec.name}: the gateway is closed")
        environment = self._least_loaded()
        if environment is not None:
            environment.send(invocation, loop)
        elif not self.environments:
            self._start(loop).send(invocation, loop)
        else:
            self._waiting.append(invocation)
            if self._growth is None:
                self._growth = loop.call_later(self.stall_s, self._grow, loop)

    def finished(self, environment: Environment) -> None:
        """`environment` answered: it takes waiting invocations while it has room."""
        loop = environment.loop
        if loop is None:
            return
        while self._waiting and self._has_room(environment):
            invocation = self._next_waiting()
            if invocation is None:
                break
            environment.send(invocation, loop)

    def lost(
        self,
        environment: Environment,
        loop: asyncio.AbstractEventLoop | None,
        unstarted: list[Invocation],
    ) -> None:
        """`environment` has ended: its unstarted invocations wait again, at the front, and a
        fresh environment takes the first waiting one."""
        if environment in self.environments:
            self.environments.remove(environment)
        self._waiting.extendleft(reversed(unstarted))
        if self._closed or loop is None:
            return
        for other in self.environments:
            self.finished(other)
        invocation = self._next_waiting() if len(self.environments) < self.limit else None
        if invocation is not None:
            self._start(loop).send(invocation, loop)
        if self._waiting and self._growth is None:
            self._growth = loop.call_later(self.stall_s, self._grow, loop)

    def close(self) -> None:
        self._closed = True
        for timer in (self._growth, self._memory_watch):
            if timer is not None:
                timer.cancel()
        self._growth = self._memory_watch = None
        pending = list(self._waiting)
        for environment in self.environments:
            pending.extend(environment.inflight)
            environment.kill()
        self.environments.clear()
        self._waiting.clear()
        for invocation in pending:
            if not invocation.future.get_loop().is_closed():
                _settle(invocation.future, InvocationFailed(_closed_error(self.spec.name)))

    def _least_loaded(self) -> Environment | None:
        """An idle environment, else a fast warm one with room for one more ahead."""
        best: Environment | None = None
        for environment in self.environments:
            if not environment.inflight and not environment.closed:
                return environment
            if self._has_room(environment) and (
                best is None or len(environment.inflight) < len(best.inflight)
            ):
                best = environment
        return best

    def _has_room(self, environment: Environment) -> bool:
        inflight = len(environment.inflight)
        if inflight == 0:
            return not environment.closed
        return (
            environment.ready
            and inflight <= AHEAD
            and environment.last_run_s < FAST_S
            and time.monotonic() - environment.started_at < FAST_S
        )

    def _start(self, loop: asyncio.AbstractEventLoop) -> Environment:
        environment = Environment(self)
        self.environments.append(environment)
        if self._memory_watch is None:
            self._memory_watch = loop.call_later(MEMORY_CHECK_S, self._watch_memory, loop)
        return environment

    def _watch_memory(self, loop: asyncio.AbstractEventLoop) -> None:
        """Lambda stops an environment that uses more memory than the function's setting."""
        self._memory_watch = None
        if self._closed or not self.environments:
            return
        limit = self.spec.memory_mb * 1024 * 1024
        for environment in list(self.environments):
            if environment.resident_bytes() > limit:
                environment.out_of_memory()
        self._memory_watch = loop.call_later(MEMORY_CHECK_S, self._watch_memory, loop)

    def _next_waiting(self) -> Invocation | None:
        while self._waiting:
            invocation = self._waiting.popleft()
            if not invocation.future.done():  # its caller may have stopped waiting
                return invocation
        return None

    def _grow(self, loop: asyncio.AbstractEventLoop) -> None:
        self._growth = None
        if self._closed:
            return
        if len(self.environments) < self.limit and self._stalled():
            invocation = self._next_waiting()
            if invocation is not None:
                self._start(loop).send(invocation, loop)
        if any(not invocation.future.done() for invocation in self._waiting):
            self._growth = loop.call_later(self.stall_s, self._grow, loop)
        else:
            self._waiting.clear()

    def _stalled(self) -> bool:
        """Every warm environment is stuck on one invocation, and fewer than `cold_starts`
        environments are starting. Stuck: on the same invocation for `stall_s` and at two checks,
        waiting (a sleep or I/O) in between; or, when computing or waiting for a CPU, for
        `COMPUTE_STALL_S` while fewer than one per core computes (a busy CPU needs no other
        process)."""
        starting = sum(1 for environment in self.environments if not environment.ready)
        for environment in list(self.environments):
            environment.receive()  # answers the loop has not read yet: not a stall
        now = time.monotonic()
        stuck = starting < self.cold_starts
        computing = 0
        for environment in self.environments:
            if not environment.ready:
                continue
            head = environment.inflight[0] if environment.inflight else None
            # Invocations sent ahead can wait a few milliseconds for a busy CPU or a busy
            # event loop; only a much longer wait means that the first of them is slow.
            patience = self.stall_s if len(environment.inflight) == 1 else AHEAD_STALL_S
            if head is None or now - environment.started_at < patience:
                stuck = False
                continue
            # Past its patience: its CPU time is read now and compared at the next check.
            last = environment.last_check
            cpu_ns = environment.cpu_ns()
            environment.last_check = (head, cpu_ns, now)
            if last[0] is not head:
                stuck = False
                continue
            runnable = (cpu_ns - last[1]) / max(1.0, (now - last[2]) * 1e9)
            if runnable > 0.5:  # computing: one more process helps only with a free core
                if now - environment.started_at < COMPUTE_STALL_S:
                    stuck = False
                computing += 1
        return stuck and computing < self.cores


def _closed_error(name: str) -> dict[str, Any]:
    return {"errorType": "Runtime.Unavailable", "errorMessage": f"{name}: the gateway is closed"}


@atexit.register
def _stop_all() -> None:
    """No sandbox outlives the gateway."""
    for environment in list(_LIVE):
        try:
            environment.process.kill()
        except OSError:
            pass

"""Run Lambda handlers in-process like the Lambda runtime: imported once, kept warm,
each with its own environment, and bounded by a timeout."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import os
import sys
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

# Powertools' per-thread log keys: each log line carries its own invocation's request id,
# even while other invocations of the same function run (Logger.append_keys is global).
from aws_lambda_powertools.logging.formatter import THREAD_LOCAL_KEYS as _LOG_KEYS

from books_api.local.context import REGION, LambdaContext
from books_api.local.document import FunctionSpec
from books_api.local.workers import Workers

Handler = Callable[[dict[str, Any], Any], Any]
_IMPORT_LOCK = threading.Lock()
logger = logging.getLogger("books_api.local.runtime")


class InvocationTimeout(Exception):
    """The caller stopped waiting for the function."""


class InvocationFailed(Exception):
    """The function raised; `error` is what it raised."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


class LambdaFunction:
    def __init__(
        self,
        spec: FunctionSpec,
        extra_environment: dict[str, str] | None = None,
        max_concurrency: int = 64,
    ) -> None:
        self.spec = spec
        self.environment = {**spec.environment, **(extra_environment or {})}
        self._handler: Handler | None = None
        self._workers = Workers(spec.name, max_concurrency)
        self._inbox: _Inbox | None = None  # the last event loop's, looked up once per loop

    def handler(self) -> Handler:
        """Import the handler once (the cold start), with the function's environment."""
        handler = self._handler
        if handler is not None:
            return handler
        try:
            return self._import_handler()
        except Exception:
            logger.exception("%s: cannot import %s", self.spec.name, self.spec.handler)
            raise

    def _import_handler(self) -> Handler:
        if self._handler is None:
            with _IMPORT_LOCK:
                if self._handler is None:
                    module_name, _, attribute = self.spec.handler.rpartition(".")
                    with _environment(self.lambda_environment()):
                        module = _fresh_module(module_name)
                    self._handler = getattr(module, attribute)
        return self._handler

    def lambda_environment(self) -> dict[str, str]:
        return {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.spec.name}",
            **self.environment,
        }

    def invoke(self, event: dict[str, Any], wait_s: float, request_id: str | None = None) -> Any:
        """Call the handler; raise InvocationFailed or InvocationTimeout (after `wait_s`)."""
        context = LambdaContext.for_invocation(self.spec, request_id or str(uuid.uuid4()))
        future: Future[Any] = Future()

        def done(result: Any, error: BaseException | None) -> None:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        self._workers.submit(lambda: self._run(event, context), done)
        try:
            return future.result(timeout=wait_s)
        except FutureTimeout:
            raise InvocationTimeout(self.spec.name) from None
        except Exception as error:
            raise InvocationFailed(error) from error

    async def invoke_async(
        self, event: dict[str, Any], wait_s: float, request_id: str | None = None
    ) -> Any:
        """`invoke` for an event loop: one hop to the function's thread, awaited with a timeout."""
        context = LambdaContext.for_invocation(self.spec, request_id or str(uuid.uuid4()))
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        inbox = self._inbox
        if inbox is None or inbox.loop is not loop:
            inbox = self._inbox = _inbox_for(loop)
        self._workers.submit(
            lambda: self._run(event, context),
            lambda result, error: inbox.put(future, result, error),
        )
        # A timer instead of asyncio.wait_for: no extra task per invocation.
        expired: list[bool] = []

        def expire() -> None:
            expired.append(True)
            future.cancel()

        timer = loop.call_later(wait_s, expire)
        try:
            return await future
        except asyncio.CancelledError:
            if expired:
                raise InvocationTimeout(self.spec.name) from None
            raise
        except Exception as error:
            raise InvocationFailed(error) from error
        finally:
            timer.cancel()

    def _run(self, event: dict[str, Any], context: LambdaContext) -> Any:
        handler = self.handler()
        token = _LOG_KEYS.set({"function_request_id": context.aws_request_id})
        try:
            return handler(event, context)
        except BaseException as error:
            # Lambda writes a failed invocation's error to the function's log.
            logger.error(
                "[ERROR] %s: %s (function %s, request %s)",
                type(error).__name__,
                error,
                self.spec.name,
                context.aws_request_id,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            if isinstance(error, Exception):
                raise
            # sys.exit() in a handler ends Lambda's runtime, not the gateway.
            raise RuntimeError(f"Runtime exited: {error!r}") from error
        finally:
            _LOG_KEYS.reset(token)

    def close(self) -> None:
        self._workers.close()


class _Inbox:
    """Answers from the workers to one event loop: one wake-up of the loop for all the
    answers that arrive before it runs, rather than one per answer."""

    __slots__ = ("__weakref__", "_answers", "_lock", "_scheduled", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._answers: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        self._lock = threading.Lock()
        self._scheduled = False

    def put(self, future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
        with self._lock:
            self._answers.append((future, result, error))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:  # the loop is closed: nobody waits for these answers any more
            pass

    def _deliver(self) -> None:
        with self._lock:
            answers = self._answers
            self._answers = []
            self._scheduled = False
        for future, result, error in answers:
            _settle(future, result, error)


_INBOXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Inbox] = weakref.WeakKeyDictionary()
_INBOXES_LOCK = threading.Lock()


def _inbox_for(loop: asyncio.AbstractEventLoop) -> _Inbox:
    """One inbox per event loop, shared by every function the loop awaits."""
    with _INBOXES_LOCK:
        inbox = _INBOXES.get(loop)
        if inbox is None:
            inbox = _INBOXES[loop] = _Inbox(loop)
        return inbox


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller stopped waiting (timeout or disconnect)
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def add_code_roots(*directories: Path) -> None:
    """Let handlers be imported from these directories too (after installed packages),
    as SAM's CodeUri does for a template's functions."""
    for directory in directories:
        entry = str(directory.resolve())
        if entry not in sys.path:
            sys.path.append(entry)


def _fresh_module(module_name: str) -> ModuleType:
    """A private copy of the handler's module, so that each function (and each gateway)
    has its own cold start and module state, as separate Lambda containers do."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named {module_name!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old

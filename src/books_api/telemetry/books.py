"""The books function's telemetry: one EMF record per request, correlated logs, a trace.

Every log line of a request carries the API Gateway request id (`correlation_id`, the
access log's `requestId`) and the operation; so does the request's EMF record, as metadata.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics

from books_api.core.book import Book
from books_api.core.book_store import MAX_PAGE_BYTES, BookStore, ImportCounts, Page, WriteRun
from books_api.settings import TelemetrySettings
from books_api.telemetry import catalogue
from books_api.telemetry.tracing import FunctionTracer, function_tracer

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Route = tuple[str, str]  # (httpMethod, resource)


class BooksTelemetry:
    def __init__(self, logger: Logger, settings: TelemetrySettings) -> None:
        self.logger = logger
        self.service = settings.service_name
        # Ephemeral: this function's records only, never shared with another Metrics object.
        self.metrics = EphemeralMetrics(namespace=settings.metrics_namespace, service=self.service)
        self.tracer: FunctionTracer = function_tracer(settings)

    def handler(self, routes: dict[Route, Callable[..., Any]]) -> Callable[[Handler], Handler]:
        """Decorate the Lambda handler; `routes` name the operations (`_get_book` is get_book)."""
        operations = {route: function.__name__.lstrip("_") for route, function in routes.items()}
        unknown = set(operations.values()) - set(catalogue.OPERATIONS)
        if unknown:
            raise ValueError(f"operations missing from the metric catalogue: {sorted(unknown)}")

        def decorate(function: Handler) -> Handler:
            @functools.wraps(function)
            def observed(event: dict[str, Any], context: Any) -> dict[str, Any]:
                route = (event.get("httpMethod", ""), event.get("resource", ""))
                operation = operations.get(route, catalogue.UNKNOWN_OPERATION)
                self.logger.append_keys(operation=operation)
                self.tracer.put_annotation("operation", operation)
                response: dict[str, Any] | None = None
                try:
                    response = function(event, context)
                    return response
                finally:
                    self._record(operation, response)

            logged = self.logger.inject_lambda_context(
                correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
            )(observed)
            return self.tracer.capture_lambda_handler(logged)

        return decorate

    def _record(self, operation: str, response: dict[str, Any] | None) -> None:
        """The request's EMF record, and a log line for a refused request."""
        status = int(response.get("statusCode", 500)) if response is not None else 500
        metrics = self.metrics
        try:
            metrics.add_dimension(catalogue.OPERATION, operation)
            metrics.add_dimension(catalogue.STATUS_CLASS, catalogue.status_class(status))
            metrics.add_dimensions(**{catalogue.SERVICE: self.service})
            metrics.add_metric(catalogue.REQUESTS.name, catalogue.REQUESTS.unit, 1)
            counter = catalogue.STATUS_COUNTERS.get(status)
            if counter is not None:
                metrics.add_metric(counter.name, counter.unit, 1)
            correlation_id = self.logger.get_correlation_id()
            if correlation_id:
                metrics.add_metadata("correlation_id", correlation_id)
            metrics.flush_metrics()
        finally:
            metrics.clear_metrics()
        if response is not None and 400 <= status < 500:
            self.logger.info(
                "Request refused", extra={"status": status, "reason": _message(response)}
            )

    def store_latency(self, seconds: float) -> None:
        metric = catalogue.STORE_LATENCY
        self.metrics.add_metric(metric.name, metric.unit, round(seconds * 1000, 3))

    def timed_store(self, store: BookStore) -> BookStore:
        return TimedStore(store, self.store_latency)


def _message(response: dict[str, Any]) -> str:
    """The error message of an envelope (`{"status": 400, "data": "..."}`)."""
    try:
        data = json.loads(response.get("body") or "{}").get("data")
    except (ValueError, AttributeError):
        return ""
    return data if isinstance(data, str) else ""


class TimedStore:
    """A store whose calls made while serving a request each add a StoreLatency value."""

    def __init__(self, store: BookStore, record: Callable[[float], None]) -> None:
        self.store = store
        self._record = record

    def _timed(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self._record(time.perf_counter() - started)

    def get(self, book_id: str) -> Book | None:
        result: Book | None = self._timed(lambda: self.store.get(book_id))
        return result

    def create(self, book: Book) -> Book:
        result: Book = self._timed(lambda: self.store.create(book))
        return result

    def update(
        self, book_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> Book:
        result: Book = self._timed(lambda: self.store.update(book_id, changes, expected_version))
        return result

    def delete(self, book_id: str, expected_version: int | None = None) -> Book:
        result: Book = self._timed(lambda: self.store.delete(book_id, expected_version))
        return result

    def list_page(
        self, limit: int, start_after: str | None = None, max_bytes: int = MAX_PAGE_BYTES
    ) -> Page:
        result: Page = self._timed(lambda: self.store.list_page(limit, start_after, max_bytes))
        return result

    def default_cursor_key(self) -> bytes:
        result: bytes = self._timed(self.store.default_cursor_key)
        return result

    # Not called while serving requests: passed through untimed.
    def write_many(
        self,
        books: Iterable[Book],
        overwrite: bool = False,
        run: WriteRun | None = None,
        counts: ImportCounts | None = None,
    ) -> ImportCounts:
        return self.store.write_many(books, overwrite, run, counts)

    def scan_all(self) -> Iterator[Book]:
        return self.store.scan_all()

    def is_empty(self) -> bool:
        return self.store.is_empty()

    def close(self) -> None:
        self.store.close()

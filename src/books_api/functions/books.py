"""The books Lambda function: CRUD over the store, for API Gateway proxy events (v1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from books_api.core import codec
from books_api.core.errors import BooksError, ValidationFailed
from books_api.core.responses import envelope, error_response
from books_api.core.service import BookService
from books_api.settings import BooksSettings, TelemetrySettings
from books_api.store.factory import open_store
from books_api.telemetry.books import BooksTelemetry

logger = Logger()
settings = BooksSettings.from_env()
telemetry = BooksTelemetry(logger, TelemetrySettings.from_env("books"))
_service: BookService | None = None

Handler = Callable[[BookService, dict[str, Any]], dict[str, Any]]


def service() -> BookService:
    """The service over the configured store, opened once per container."""
    global _service
    if _service is None:
        _service = BookService(telemetry.timed_store(open_store(settings)), settings.cursor_key)
    return _service


# Lambda runs module code once per container, with its environment: open the store (and
# its AWS client) here, not on the first request. A failure is retried on that request.
try:
    service()
except Exception:
    logger.exception("The store could not be opened at cold start")


def _list_books(books: BookService, event: dict[str, Any]) -> dict[str, Any]:
    query = event.get("queryStringParameters") or {}
    return books.list_books(query.get("limit"), query.get("next_token"))


def _get_book(books: BookService, event: dict[str, Any]) -> dict[str, Any]:
    return books.get_book((event.get("queryStringParameters") or {}).get("book_id"))


def _create_book(books: BookService, event: dict[str, Any]) -> dict[str, Any]:
    return books.create_book(_body(event), _principal(event))


def _update_book(books: BookService, event: dict[str, Any]) -> dict[str, Any]:
    return books.update_book(_body(event), _principal(event), _header(event, "if-match"))


def _delete_book(books: BookService, event: dict[str, Any]) -> dict[str, Any]:
    return books.delete_book(_body(event), _header(event, "if-match"))


ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/books"): _list_books,
    ("GET", "/book"): _get_book,
    ("POST", "/book"): _create_book,
    ("PATCH", "/book"): _update_book,
    ("DELETE", "/book"): _delete_book,
}


@telemetry.handler(ROUTES)  # metrics, trace, and the request id on every log line
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    route = ROUTES.get((event.get("httpMethod", ""), event.get("resource", "")))
    if route is None:
        return envelope(404, "Resource Not Found")
    try:
        return route(service(), event)
    except BooksError as error:
        if error.status >= 500:  # once per failed request: the store's answer, no secret
            logger.error("Store failure", extra={"reason": error.message, "cause": _cause(error)})
        return error_response(error)
    except Exception:
        logger.exception("Unexpected error")
        return envelope(500, "Internal Server Error")


def _cause(error: BooksError) -> str:
    cause = error.__cause__
    return f"{type(cause).__name__}: {cause}"[:500] if cause is not None else error.message


def _body(event: dict[str, Any]) -> Any:
    body = event.get("body")
    if body is None or body == "":
        raise ValidationFailed("Request body is required")
    if event.get("isBase64Encoded"):
        import base64

        try:
            body = base64.b64decode(body).decode("utf-8")
        except ValueError:
            raise ValidationFailed("Request body must be UTF-8 JSON") from None
    return codec.loads(body)


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _principal(event: dict[str, Any]) -> str:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return str(authorizer.get("principalId") or authorizer.get("sub") or "anonymous")

"""Proxy responses in the article's envelope: `{"status": <code>, "data": ...}`."""

from __future__ import annotations

import json
from typing import Any

from books_api.core import codec
from books_api.core.errors import BooksError, StoreUnavailable

JSON_HEADERS = {"Content-Type": "application/json"}


def envelope(
    status: int, data: Any, headers: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A Lambda proxy response whose body is the envelope (plus `extra` top-level fields)."""
    body = {"status": status, "data": data, **extra}
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": codec.dumps(body),
    }


def payload_bytes(json_text: str) -> int:
    """Bytes that `json_text` adds to a Lambda response payload once placed in the body.

    The body is a string inside the runtime's own JSON (`json.dumps`, ASCII-escaped), so
    it counts as that text encoded once more: quotes and non-ASCII characters grow.
    """
    return len(json.dumps(json_text))


def error_response(error: BooksError) -> dict[str, Any]:
    if isinstance(error, StoreUnavailable):
        return envelope(error.status, error.message, {"Retry-After": str(error.retry_after_s)})
    return envelope(error.status, error.message)

"""Per-invocation figures of both functions, measured on this machine (run by bench/capacity.py
in a fresh process): handler time, bytes written to the function's log (log lines and EMF
records, as Lambda's log stream would hold them) and response body bytes, per operation.

    python bench/capacity_measure.py      # prints one JSON object
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

RUNS = 200
SECRET = "capacity-measure-signing-key-0123456789abcdef"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/books"
BOOKS = 2_000


class CountingStream:
    """Stands in for the function's stdout: counts what is written, keeps nothing."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text.encode("utf-8"))
        return len(text)

    def flush(self) -> None:
        pass

    def take(self) -> int:
        written, self.written = self.written, 0
        return written


class Context:
    function_name = "books"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:books"
    function_version = "$LATEST"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def event(method: str, resource: str, query: Any = None, body: Any = None) -> dict[str, Any]:
    return {
        "httpMethod": method, "resource": resource, "path": resource,
        "headers": {"Content-Type": "application/json"}, "queryStringParameters": query,
        "body": None if body is None else json.dumps(body), "isBase64Encoded": False,
        "requestContext": {"requestId": str(uuid.uuid4()), "stage": "prod",
                           "authorizer": {"principalId": "reader-0001", "role": "api_user"}},
    }  # fmt: skip


def book(book_id: str) -> dict[str, Any]:
    return {
        "book_id": book_id,
        "name": "The Midnight Library",
        "author": "Matt Haig",
        "price": 12.99,
        "languages": ["English", "Spanish", "French"],
    }


def change(book_id: str) -> dict[str, Any]:
    return {"book_id": book_id, "update_key": "price", "update_value": 13.5}


def measure(stream: CountingStream, handler: Any, make_event: Any) -> dict[str, float]:
    times, logged, body = [], [], []
    for n in range(RUNS):
        request = make_event(n)
        stream.take()
        started = time.perf_counter()
        response = handler(request, Context())
        times.append((time.perf_counter() - started) * 1000)
        logged.append(stream.take())
        body.append(len((response.get("body") or "").encode()) if isinstance(response, dict) else 0)
    return {
        "handler_ms": statistics.median(times),
        "log_bytes": statistics.median(logged),
        "body_bytes": statistics.median(body),
    }


def books_figures(stream: CountingStream, directory: Path) -> dict[str, Any]:
    os.environ.update(
        BOOKS_STORE="sqlite",
        BOOKS_DB_PATH=str(directory / "books.db"),
        POWERTOOLS_SERVICE_NAME="books",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    from books_api.functions import books

    handler = books.lambda_handler
    for n in range(BOOKS):
        handler(event("POST", "/book", body=book(f"seed-{n:05d}")), Context())
    created = handler(event("POST", "/book", body=book("item-size")), Context())
    item = json.loads(created["body"])["data"]["Item"]
    next_tokens: list[str] = []
    first = handler(event("GET", "/books"), Context())
    next_tokens.append(json.loads(first["body"])["next_token"])
    return {
        "item": item,
        "get_book": measure(
            stream, handler, lambda n: event("GET", "/book", {"book_id": f"seed-{n:05d}"})
        ),
        "list_books": measure(
            stream,
            handler,
            lambda n: event("GET", "/books", {"next_token": next_tokens[0]} if n % 2 else None),
        ),
        "create_book": measure(
            stream, handler, lambda n: event("POST", "/book", body=book(f"new-{n:05d}"))
        ),
        "update_book": measure(
            stream,
            handler,
            lambda n: event("PATCH", "/book", body=change(f"new-{n:05d}")),
        ),
        "delete_book": measure(
            stream, handler, lambda n: event("DELETE", "/book", body={"book_id": f"new-{n:05d}"})
        ),
    }


def authorizer_figures(stream: CountingStream) -> dict[str, Any]:
    import jwt

    os.environ.update(JWT_SECRET=SECRET, POWERTOOLS_SERVICE_NAME="authorizer")
    from books_api.functions import authorizer

    claims = {"sub": "reader-0001", "Role": "api_user", "exp": int(time.time()) + 3600}
    token = "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")
    decision = {"type": "TOKEN", "authorizationToken": token, "methodArn": ARN}
    return {"decision": measure(stream, authorizer.lambda_handler, lambda n: decision)}


def main() -> int:
    real = sys.stdout
    stream = CountingStream()
    sys.stdout = stream  # the functions' Loggers bind to it
    try:
        with tempfile.TemporaryDirectory(prefix="capacity-") as directory:
            figures = {
                "books": books_figures(stream, Path(directory)),
                "authorizer": authorizer_figures(stream),
            }
    finally:
        sys.stdout = real
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

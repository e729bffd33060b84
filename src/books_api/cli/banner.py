"""What `serve` prints once everything has started: the API's title, each route as SAM prints
its mounts, the docs URL and, for the Books API, a token and a curl line that work."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from books_api.local.gateway.document import ApiSpec

BOOKS_HANDLER = "books_api.functions.books.lambda_handler"
AUTHORIZER_HANDLER = "books_api.functions.authorizer.lambda_handler"
STOP_LINE = "Press Ctrl+C to stop."


@dataclass(frozen=True)
class BooksExtras:
    """The Books API's own lines: where its data lives and a token its authorizer accepts
    (None when the key source is not one `serve` can sign for)."""

    data_location: str
    token: str | None
    key_source: str  # the variable the authorizer verifies with, e.g. JWT_SECRET


def is_books_api(spec: ApiSpec) -> bool:
    handlers = {function.handler for function in spec.functions.values()}
    return {BOOKS_HANDLER, AUTHORIZER_HANDLER} <= handlers


def banner(spec: ApiSpec, origin: str, stage: str, books: BooksExtras | None) -> str:
    base = f"{origin}/{stage}"
    lines = [f"{spec.title} on {base}" + (f"  (data: {books.data_location})" if books else "")]
    width = max((len(op.method) for op in spec.operations), default=3)
    for operation in spec.operations:
        lines.append(
            f"  {operation.method:<{width}} {base}{operation.resource}"
            f"  ({operation.authorizer or 'none'})"
        )
    lines.append(f"API docs: {origin}/docs")
    if books is not None:
        lines.extend(_books_lines(spec, base, books))
    hint = activation_hint()
    if hint:
        lines.append(hint)
    lines.append(STOP_LINE)
    return "\n".join(lines) + "\n"


def _books_lines(spec: ApiSpec, base: str, books: BooksExtras) -> list[str]:
    if books.token is None:
        return [f"Tokens: sign them with the key behind {books.key_source}."]
    operation = next(
        (op for op in spec.operations if op.method == "GET" and "{" not in op.resource), None
    )
    route = operation.resource if operation else "/"
    name = _token_header(spec, operation.authorizer if operation else None)
    return [
        f"A token valid for one hour ({books.key_source}):",
        f"  {books.token}",
        "Try:",
        f"  curl -H '{name}: Bearer {books.token}' {base}{route}",
    ]


def _token_header(spec: ApiSpec, scheme: str | None) -> str:
    """The header the route's security scheme reads, spelled as the document spells it."""
    schemes = (spec.raw.get("components") or {}).get("securitySchemes") or {}
    return str((schemes.get(scheme) or {}).get("name") or "authorizationToken")


def activation_hint() -> str | None:
    """The one step that puts `books-api` on PATH in another shell, when it is not there
    (a virtual environment that is not activated, as after `make run`)."""
    if sys.prefix == sys.base_prefix:
        return None
    script = Path(sys.prefix) / "bin" / "books-api"
    found = shutil.which("books-api")
    if found and Path(found).resolve() == script.resolve():
        return None
    activate = Path(sys.prefix) / "bin" / "activate"
    try:
        shown = os.path.relpath(activate)
    except ValueError:
        shown = str(activate)
    if shown.startswith(".."):
        shown = str(activate)
    return f"Next, in another terminal: . {shown}   (then: books-api --help)"

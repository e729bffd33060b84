"""`export`: every book of a store, streamed to a file in one of three formats."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from books_api.core import codec
from books_api.core.book import Book
from books_api.core.dynamodb_json import to_item

FORMATS = ("dynamodb-json", "json", "jsonl")


def export_books(books: Iterable[Book], out: IO[str], fmt: str = "jsonl") -> int:
    """Write `books` one at a time; return how many were written.

    `jsonl`: one book per line. `json`: one JSON list. `dynamodb-json`: one
    `{"Item": {...}}` per line, as DynamoDB's own export writes it.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    count = 0
    if fmt == "json":
        out.write("[")
    for book in books:
        if fmt == "json":
            out.write(("," if count else "") + "\n" + codec.dumps(book))
        elif fmt == "jsonl":
            out.write(codec.dumps(book) + "\n")
        else:
            out.write(codec.dumps({"Item": to_item(book)}) + "\n")
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count

"""Read books from a file, streaming: a JSON list, JSON Lines, or DynamoDB JSON.

Accepted shapes (detected from the content):
    [ {book}, {book}, ... ]                  a JSON list, plain or DynamoDB JSON items
    {"Item1": {item}, "Item2": {item}, ...}  the article's books.json (values are the items)
    {book}\\n{book}\\n...                      JSON Lines; `{"Item": {item}}` lines (DynamoDB's
                                             export format) too
A record is DynamoDB JSON when its `book_id` is typed (`{"S": "1"}`). Lists and objects are
decoded one value at a time with `JSONDecoder.raw_decode` over chunks, so a file of any size
needs memory for one book, not for the whole file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from books_api.core import codec
from books_api.core.book import Book, check_stored_book
from books_api.core.dynamodb_json import from_item
from books_api.core.errors import ValidationFailed

CHUNK_CHARS = 1 << 20
CUT_MARGIN = 64
_WHITESPACE = " \t\r\n"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> str: ...


@dataclass
class Record:
    line: int  # where the record starts in the file (1-based)
    book: Book | None  # the validated book, or None when invalid
    error: str | None = None


class UnreadableFile(Exception):
    """The file is not JSON that can be read further (records before it were read)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


def read_records(stream: Readable) -> Iterator[Record]:
    """Validated books from `stream`, each with its line; invalid ones carry the reason."""
    reader = _ChunkReader(stream)
    first = reader.peek()
    if first == "[":
        reader.take(1)
        values = reader.values("]", keyed=False)
    elif first == "{" and not reader.first_line_is_record():
        reader.take(1)
        values = reader.values("}", keyed=True)
    elif first in ("{", ""):
        yield from (line_record(line, text) for line, text in _json_lines(stream, reader))
        return
    else:
        raise UnreadableFile(reader.line, "expected a JSON list, an object or JSON Lines")
    for line, value in values:
        yield to_record(line, value)


def json_lines(stream: Readable) -> tuple[int, Iterator[str]] | None:
    """For JSON Lines: the first line's number and an iterator of the lines; else None.

    Only the start of `stream` is read; when it answers None, open the file again.
    """
    reader = _ChunkReader(stream)
    if reader.peek() == "{" and reader.first_line_is_record():
        return reader.line, reader.remaining_lines(stream)
    return None


def to_record(line: int, value: Any) -> Record:
    try:
        return Record(line, check_stored_book(_plain(value)))
    except ValidationFailed as error:
        return Record(line, None, error.message)


def _plain(value: Any) -> Any:
    """A plain book from a plain or DynamoDB JSON record."""
    if isinstance(value, dict) and len(value) == 1 and "Item" in value:
        value = value["Item"]
    if isinstance(value, dict) and isinstance(value.get("book_id"), dict):
        return from_item(value)
    return value


def _json_lines(stream: Readable, reader: _ChunkReader) -> Iterator[tuple[int, str]]:
    line_number = reader.line
    for text in reader.remaining_lines(stream):
        if text.strip():
            yield line_number, text
        line_number += 1


def line_record(line: int, text: str) -> Record:
    """The record on one line of JSON Lines."""
    try:
        value = codec.loads(text)
    except ValidationFailed as error:
        return Record(line, None, error.message)
    return to_record(line, value)


class _ChunkReader:
    def __init__(self, stream: Readable) -> None:
        self.stream = stream
        self.buffer = ""
        self.position = 0
        self.line = 1
        self.eof = False
        self.decoder = codec.decoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK_CHARS)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.position :] + chunk
        self.position = 0
        return True

    def _skip_whitespace(self) -> None:
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in _WHITESPACE:
                if self.buffer[self.position] == "\n":
                    self.line += 1
                self.position += 1
            if self.position < len(self.buffer) or not self._fill():
                return

    def peek(self) -> str:
        self._skip_whitespace()
        return self.buffer[self.position] if self.position < len(self.buffer) else ""

    def take(self, count: int) -> None:
        self.line += self.buffer.count("\n", self.position, self.position + count)
        self.position += count

    def first_line_is_record(self) -> bool:
        """True when the first line alone is one book (JSON Lines), not an opening brace."""
        while "\n" not in self.buffer[self.position :] and self._fill():
            pass
        end = self.buffer.find("\n", self.position)
        text = self.buffer[self.position : end if end >= 0 else len(self.buffer)]
        try:
            value = codec.loads(text)
        except ValidationFailed:
            return False
        return isinstance(value, dict) and ("book_id" in value or set(value) == {"Item"})

    def remaining_lines(self, stream: Readable) -> Iterator[str]:
        rest = self.buffer[self.position :]
        self.buffer, self.position = "", 0
        while True:
            lines = rest.split("\n")
            yield from lines[:-1]
            chunk = "" if self.eof else stream.read(CHUNK_CHARS)
            if not chunk:
                if lines[-1]:
                    yield lines[-1]
                return
            rest = lines[-1] + chunk

    def decode_value(self) -> Any:
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                # Near the end of the buffer the value may just be cut by the chunk.
                near_end = error.pos >= len(self.buffer) - CUT_MARGIN
                cut = near_end or error.msg.startswith("Unterminated")
                if cut and self._fill():
                    continue
                raise UnreadableFile(self.line, f"invalid JSON: {error.msg}") from None
            except ValidationFailed as error:
                raise UnreadableFile(self.line, error.message) from None
            except RecursionError:
                raise UnreadableFile(self.line, "JSON nested too deeply") from None
            # A value that ends the buffer may go on in the next chunk (a number, say).
            if end == len(self.buffer) and self._fill():
                continue
            self.take(end - self.position)
            return value

    def values(self, closing: str, keyed: bool) -> Iterator[tuple[int, Any]]:
        """The members of the list or object just opened, up to `closing`."""
        expect_value = True
        while True:
            char = self.peek()
            if char == closing:
                self.take(1)
                self._expect_end()
                return
            if char == "":
                raise UnreadableFile(self.line, f"the file ends before its closing '{closing}'")
            if not expect_value:
                if char != ",":
                    raise UnreadableFile(self.line, f"expected ',' or '{closing}'")
                self.take(1)
                self.peek()
            if keyed:
                if not isinstance(self.decode_value(), str) or self.peek() != ":":
                    raise UnreadableFile(self.line, 'expected a "key": value member')
                self.take(1)
                self.peek()
            line = self.line
            yield line, self.decode_value()
            expect_value = False

    def _expect_end(self) -> None:
        if self.peek() != "":
            raise UnreadableFile(self.line, "unexpected content after the closing bracket")

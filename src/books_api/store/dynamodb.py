"""The production store: one DynamoDB table keyed by `book_id` (string), through boto3.

DynamoDB actions called, by path (the function's IAM policy allows exactly the first group):
    books function  GetItem, PutItem, UpdateItem, DeleteItem, Scan,
                    DescribeTable (once, only when BOOKS_CURSOR_KEY is unset)
    CLI import      BatchGetItem, BatchWriteItem;  `--create-table`: CreateTable, DescribeTable
Every write is conditional, every expression goes through ExpressionAttributeNames/Values, and
numbers travel as DynamoDB `N` strings built from `Decimal`s (never floats).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from books_api.core import codec
from books_api.core.book import Book
from books_api.core.book_store import MAX_PAGE_BYTES, ImportCounts, Page
from books_api.core.dynamodb_json import from_item, to_attribute, to_item
from books_api.core.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    StoreUnavailable,
    ValidationFailed,
)
from books_api.core.responses import payload_bytes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# botocore's standard mode retries throttling and transient errors with jittered backoff.
RETRIES = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5
)
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
BATCH_WRITE_SIZE = 25  # BatchWriteItem's limit
BATCH_GET_SIZE = 100  # BatchGetItem's limit
MAX_BATCH_ROUNDS = 12


class DynamoDBBookStore:
    """A `BookStore` on a DynamoDB table whose partition key is `book_id` (S)."""

    def __init__(
        self,
        table: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        client: DynamoDBClient | None = None,
    ) -> None:
        self.table = table
        self.client: DynamoDBClient = client or boto3.client(
            "dynamodb", region_name=region, endpoint_url=endpoint_url, config=RETRIES
        )

    def get(self, book_id: str) -> Book | None:
        with _translated_errors():
            response = self.client.get_item(
                TableName=self.table, Key=_key(book_id), ConsistentRead=True
            )
        item = response.get("Item")
        return _book(item) if item else None

    def create(self, book: Book) -> Book:
        item = to_item({**book, "version": 1})
        try:
            with _translated_errors():
                self.client.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#id)",
                    ExpressionAttributeNames={"#id": "book_id"},
                )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise Conflict(f"Book with ID {book['book_id']} already exists") from None
            raise
        return _book(item)

    def update(
        self, book_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> Book:
        names = {"#id": "book_id", "#version": "version"}
        values: dict[str, Any] = {":zero": {"N": "0"}, ":one": {"N": "1"}}
        assignments = ["#version = if_not_exists(#version, :zero) + :one"]
        for index, (name, value) in enumerate(changes.items()):
            names[f"#a{index}"] = name
            values[f":a{index}"] = to_attribute(value)
            assignments.append(f"#a{index} = :a{index}")
        condition, extra_values = _condition(expected_version)
        try:
            with _translated_errors():
                response = self.client.update_item(
                    TableName=self.table,
                    Key=_key(book_id),
                    UpdateExpression="SET " + ", ".join(assignments),
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={**values, **extra_values},
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            raise self._failed_condition(error, book_id) from None
        return _book(response["Attributes"])

    def delete(self, book_id: str, expected_version: int | None = None) -> Book:
        condition, values = _condition(expected_version)
        request: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(book_id),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": _condition_names(expected_version),
            "ReturnValues": "ALL_OLD",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            with _translated_errors():
                response = self.client.delete_item(**request)
        except ClientError as error:
            raise self._failed_condition(error, book_id) from None
        return _book(response["Attributes"])

    def _failed_condition(self, error: ClientError, book_id: str) -> Exception:
        """404 when the book is absent, 412 when its version differs."""
        if _code(error) != "ConditionalCheckFailedException":
            return error
        old = error.response.get("Item")
        if old is None:  # older endpoints do not return the item: look it up
            old = self.client.get_item(
                TableName=self.table, Key=_key(book_id), ConsistentRead=True
            ).get("Item")
        if not old:
            return NotFound(f"Book with ID {book_id} not found")
        return PreconditionFailed(f"Book with ID {book_id} has changed (If-Match failed)")

    def list_page(
        self, limit: int, start_after: str | None = None, max_bytes: int = MAX_PAGE_BYTES
    ) -> Page:
        # Scan's Limit counts items read, and one response stops at 1 MB: keep scanning
        # from LastEvaluatedKey until the page is full or the table ends.
        books: list[Book] = []
        size = 0
        start = _key(start_after) if start_after is not None else None
        while True:
            request: dict[str, Any] = {
                "TableName": self.table,
                "Limit": limit - len(books) + 1,
                "ConsistentRead": True,
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            with _translated_errors():
                response = self.client.scan(**request)
            for item in response.get("Items", []):
                book = _book(item)
                size += payload_bytes(codec.dumps(book))
                if len(books) == limit or (books and size > max_bytes):
                    return Page(books, books[-1]["book_id"])
                books.append(book)
            start = response.get("LastEvaluatedKey")
            if start is None:
                return Page(books, None)
            if len(books) == limit:
                return Page(books, books[-1]["book_id"])

    def write_many(self, books: Iterable[Book], overwrite: bool = False) -> ImportCounts:
        """BatchWriteItem cannot be conditional: without `overwrite`, ids are looked up first
        (BatchGetItem), so a book created between the lookup and the write is replaced."""
        counts = ImportCounts()
        for chunk in _chunks(books, BATCH_GET_SIZE):
            unique = _unique(chunk, keep_last=overwrite)
            if not overwrite:
                existing = self._existing_ids([book["book_id"] for book in unique])
                unique = [book for book in unique if book["book_id"] not in existing]
            for part in _chunks(unique, BATCH_WRITE_SIZE):
                self._put_batch(part)
            counts.written += len(unique)
            counts.skipped += len(chunk) - len(unique)
        return counts

    def _existing_ids(self, book_ids: list[str]) -> set[str]:
        found: set[str] = set()
        request: dict[str, Any] = {
            self.table: {
                "Keys": [_key(book_id) for book_id in book_ids],
                "ProjectionExpression": "#id",
                "ExpressionAttributeNames": {"#id": "book_id"},
                "ConsistentRead": True,
            }
        }
        for attempt in range(MAX_BATCH_ROUNDS):
            with _translated_errors():
                response = self.client.batch_get_item(RequestItems=request)
            found.update(item["book_id"]["S"] for item in response["Responses"][self.table])
            request = dict(response.get("UnprocessedKeys") or {})
            if not request:
                return found
            _backoff(attempt)
        raise StoreUnavailable("DynamoDB kept leaving keys unprocessed")

    def _put_batch(self, books: list[Book]) -> None:
        requests: list[Any] = [
            {"PutRequest": {"Item": to_item({**book, "version": int(book.get("version") or 1)})}}
            for book in books
        ]
        for attempt in range(MAX_BATCH_ROUNDS):
            with _translated_errors():
                response = self.client.batch_write_item(RequestItems={self.table: requests})
            requests = list((response.get("UnprocessedItems") or {}).get(self.table, []))
            if not requests:
                return
            _backoff(attempt)
        raise StoreUnavailable("DynamoDB kept leaving items unprocessed")

    def scan_all(self) -> Iterator[Book]:
        request: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            with _translated_errors():
                response = self.client.scan(**request)
            for item in response.get("Items", []):
                yield _book(item)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def default_cursor_key(self) -> bytes:
        with _translated_errors():
            table = self.client.describe_table(TableName=self.table)["Table"]
        identity = (
            table.get("TableId") or f"{table.get('TableArn')}@{table.get('CreationDateTime')}"
        )
        return hashlib.sha256(f"books-api page tokens:{identity}".encode()).digest()

    def is_empty(self) -> bool:
        with _translated_errors():
            response = self.client.scan(TableName=self.table, Limit=1)
        return not response.get("Items") and "LastEvaluatedKey" not in response

    def create_table(self) -> bool:
        """Create the table (on-demand capacity) if absent; True when it was created."""
        with _translated_errors():
            return self._create_table()

    def _create_table(self) -> bool:
        try:
            self.client.create_table(
                TableName=self.table,
                AttributeDefinitions=[{"AttributeName": "book_id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "book_id", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as error:
            if _code(error) == "ResourceInUseException":
                return False
            raise
        self.client.get_waiter("table_exists").wait(
            TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        return True

    def close(self) -> None:
        self.client.close()


def _key(book_id: str) -> dict[str, Any]:
    return {"book_id": {"S": book_id}}


def _book(item: dict[str, Any]) -> Book:
    book = from_item(item)
    if "version" in book:
        book["version"] = int(book["version"])
    return book


def _condition(expected_version: int | None) -> tuple[str, dict[str, Any]]:
    if expected_version is None:
        return "attribute_exists(#id)", {}
    return "attribute_exists(#id) AND #version = :expected", {
        ":expected": {"N": str(expected_version)}
    }


def _condition_names(expected_version: int | None) -> dict[str, str]:
    names = {"#id": "book_id"}
    if expected_version is not None:
        names["#version"] = "version"
    return names


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Throttling or an unreachable endpoint, once botocore's retries are spent: 503."""
    try:
        yield
    except ClientError as error:
        code = _code(error)
        if code in UNAVAILABLE_CODES:
            raise StoreUnavailable("The book store is busy; please retry") from error
        message = str(error.response.get("Error", {}).get("Message", ""))
        if code == "ValidationException" and "size" in message.lower():
            raise ValidationFailed("Book is larger than 400 KB") from None
        if code == "ValidationException":  # a value DynamoDB refuses (checks missed it)
            raise ValidationFailed(f"DynamoDB refused the book: {message}") from None
        raise
    except (BotoConnectionError, HTTPClientError) as error:
        raise StoreUnavailable("The book store cannot be reached; please retry") from error


def _chunks(books: Iterable[Book], size: int) -> Iterator[list[Book]]:
    chunk: list[Book] = []
    for book in books:
        chunk.append(book)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unique(books: list[Book], keep_last: bool) -> list[Book]:
    """BatchWriteItem rejects a request naming one key twice: keep the first (or last)."""
    by_id: dict[str, Book] = {}
    for book in books:
        if keep_last or book["book_id"] not in by_id:
            by_id[book["book_id"]] = book
    return list(by_id.values())


def _backoff(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2**attempt))

"""The production store: one DynamoDB table keyed by `book_id` (string), through boto3.

DynamoDB actions called, by path (the function's IAM policy allows exactly the first group):
    books function  GetItem, PutItem, UpdateItem, DeleteItem, Scan,
                    DescribeTable (once, only when BOOKS_CURSOR_KEY is unset)
    CLI import      BatchGetItem, PutItem (conditional);  start-up check: DescribeTable;
                    `--create-table`: CreateTable
Every write is conditional (bulk writes too: a conditional PutItem per book, never a blind
BatchWriteItem), every expression goes through ExpressionAttributeNames/Values, and numbers
travel as DynamoDB `N` strings built from `Decimal`s (never floats). A book written by a bulk
write carries the run's id in `RUN_ATTRIBUTE`, a name no client can give an attribute; it is
never part of the book that the API or an export shows.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from books_api.core import codec
from books_api.core.book import Book, replaced_book
from books_api.core.book_store import MAX_PAGE_BYTES, ImportCounts, Page, WriteRun
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
CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "MissingAuthenticationTokenException",
        "ExpiredTokenException",
        "AccessDeniedException",
        "RequestExpired",
    }
)
BATCH_GET_SIZE = 100  # BatchGetItem's limit
MAX_BATCH_ROUNDS = 12
MAX_CONDITION_ROUNDS = 5  # a bulk write's book that keeps changing under it: give up
WRITERS = 8  # a bulk write's PutItems in flight at once
SCAN_PAGE = 1000  # items per Scan call of `scan_all`: each answer small and quick
RUN_ATTRIBUTE = "books-api:run"  # the bulk write run that last wrote the item


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

    @staticmethod
    def _failed_condition(error: ClientError, book_id: str) -> Exception:
        """404 when the book is absent, 412 when its version differs: the failed write
        returns the item it found (ReturnValuesOnConditionCheckFailure=ALL_OLD), if any."""
        if _code(error) != "ConditionalCheckFailedException":
            return error
        if not error.response.get("Item"):
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

    def write_many(
        self,
        books: Iterable[Book],
        overwrite: bool = False,
        run: WriteRun | None = None,
        counts: ImportCounts | None = None,
    ) -> ImportCounts:
        """Chunks of 100 books: one BatchGetItem reads what the table holds for their ids,
        then a conditional PutItem per book to write (`WRITERS` at a time): a new book only
        if its id is still absent, a replacement only if the version read is still there.
        A book changed in between is looked at again (its write returns what it found)."""
        run = run or WriteRun()
        counts = ImportCounts() if counts is None else counts
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="books-import") as pool:
            for chunk in _chunks(books, BATCH_GET_SIZE):
                self._write_chunk(chunk, overwrite, run, counts, pool)
        return counts

    def _write_chunk(
        self,
        chunk: list[Book],
        overwrite: bool,
        run: WriteRun,
        counts: ImportCounts,
        pool: ThreadPoolExecutor,
    ) -> None:
        unique = _unique(chunk)
        stored = self._stored_items([book["book_id"] for book in unique], full=overwrite)
        futures: list[Future[str]] = [
            pool.submit(self._write_one, book, stored.get(book["book_id"]), overwrite, run)
            for book in unique
        ]
        failure: BaseException | None = None
        for future in futures:
            error = future.exception()
            if error is not None:
                failure = failure or error
            else:
                counts.add(ImportCounts(**{future.result(): 1}))
        if failure is not None:
            raise failure
        counts.add(ImportCounts(already=len(chunk) - len(unique), done=len(chunk)))

    def _write_one(
        self, book: Book, old: dict[str, Any] | None, overwrite: bool, run: WriteRun
    ) -> str:
        """Write `book` over `old` (the stored item, or None); return the ImportCounts field."""
        for _ in range(MAX_CONDITION_ROUNDS):
            outcome, request = _planned_put(book, old, overwrite, run)
            if request is None:
                return outcome
            try:
                with _translated_errors():
                    self.client.put_item(
                        TableName=self.table,
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                        **request,
                    )
                return outcome
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise
                old = _returned_item(error)  # what the table holds now
        raise StoreUnavailable(
            f"The book store is unavailable: book {book['book_id']} kept changing during the "
            "write; please retry",
            "busy",
        )

    def _stored_items(self, book_ids: list[str], full: bool) -> dict[str, dict[str, Any]]:
        """The stored items of `book_ids` (only their id and run unless `full`)."""
        found: dict[str, dict[str, Any]] = {}
        keys: dict[str, Any] = {
            "Keys": [_key(book_id) for book_id in book_ids],
            "ConsistentRead": True,
        }
        if not full:
            keys["ProjectionExpression"] = "#id, #run"
            keys["ExpressionAttributeNames"] = {"#id": "book_id", "#run": RUN_ATTRIBUTE}
        request: dict[str, Any] = {self.table: keys}
        for attempt in range(MAX_BATCH_ROUNDS):
            with _translated_errors():
                response = self.client.batch_get_item(RequestItems=request)
            for item in response["Responses"][self.table]:
                found[item["book_id"]["S"]] = item
            request = dict(response.get("UnprocessedKeys") or {})
            if not request:
                return found
            _backoff(attempt)
        raise StoreUnavailable(
            "The book store is unavailable: DynamoDB kept leaving keys unprocessed", "busy"
        )

    def scan_all(self) -> Iterator[Book]:
        # Pages of SCAN_PAGE items: each call answers well within the read timeout, on a
        # table of any size.
        request: dict[str, Any] = {
            "TableName": self.table,
            "ConsistentRead": True,
            "Limit": SCAN_PAGE,
        }
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

    def check_table(self) -> None:
        """Raise StoreUnavailable unless the table exists, is usable and is keyed by
        `book_id` (S) alone (DescribeTable; a table being created is waited for)."""
        with _translated_errors():
            table = self.client.describe_table(TableName=self.table)["Table"]
            if table.get("TableStatus") == "CREATING":
                self._wait_until_active()
        if table.get("TableStatus") == "DELETING":
            raise StoreUnavailable("The book store is unavailable: its table is being deleted")
        keys = [(key["AttributeName"], key["KeyType"]) for key in table.get("KeySchema", [])]
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        if keys != [("book_id", "HASH")] or types.get("book_id") != "S":
            shown = ", ".join(
                f"{name} ({types.get(name, '?')}, {'partition' if kind == 'HASH' else 'sort'} key)"
                for name, kind in keys
            )
            raise StoreUnavailable(
                f"The book store is unavailable: its table's key is {shown}, "
                "not the partition key book_id (S) alone",
                "wrong-key",
            )

    def create_table(self) -> bool:
        """Create the table (on-demand capacity) if absent; True when it was created."""
        with _translated_errors():
            return self._create_table()

    def _create_table(self) -> bool:
        try:
            with _translated_errors():
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
        with _translated_errors():
            self._wait_until_active()
        return True

    def _wait_until_active(self) -> None:
        self.client.get_waiter("table_exists").wait(
            TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )

    def close(self) -> None:
        self.client.close()


def _key(book_id: str) -> dict[str, Any]:
    return {"book_id": {"S": book_id}}


def _book(item: dict[str, Any]) -> Book:
    if RUN_ATTRIBUTE in item:
        item = {name: value for name, value in item.items() if name != RUN_ATTRIBUTE}
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


def _returned_item(error: ClientError) -> dict[str, Any] | None:
    item: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
    return item or None


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translated_errors() -> Iterator[None]:
    """What DynamoDB or botocore reports, once botocore's retries are spent: the store being
    unavailable (503), or a book DynamoDB refuses (400). Anything else is an error of ours."""
    try:
        yield
    except ClientError as error:
        translated = _translated_client_error(error)
        if translated is None:
            raise
        raise translated from error
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError) as error:
        raise StoreUnavailable(
            "The book store is unavailable: there are no AWS credentials to reach it",
            "no-credentials",
        ) from error
    except (BotoConnectionError, HTTPClientError) as error:
        raise StoreUnavailable(
            "The book store is unavailable: DynamoDB cannot be reached; please retry",
            "unreachable",
        ) from error


def _translated_client_error(error: ClientError) -> Exception | None:
    code = _code(error)
    message = str(error.response.get("Error", {}).get("Message", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in UNAVAILABLE_CODES or status >= 500:
        return StoreUnavailable(
            "The book store is unavailable: DynamoDB is busy or failing; please retry", "busy"
        )
    if code == "ResourceNotFoundException":
        return StoreUnavailable(
            "The book store is unavailable: its DynamoDB table does not exist", "table-missing"
        )
    if code in CREDENTIAL_CODES:
        return StoreUnavailable(
            f"The book store is unavailable: DynamoDB refused the credentials ({code})",
            "credentials-refused",
        )
    if code == "ValidationException" and "does not match the schema" in message:
        return StoreUnavailable(
            "The book store is unavailable: its table is not keyed by book_id (S)", "wrong-key"
        )
    if code == "ValidationException" and "size" in message.lower():
        return ValidationFailed("Book is larger than 400 KB")
    if code == "ValidationException":  # a value DynamoDB refuses (checks missed it)
        return ValidationFailed(f"DynamoDB refused the book: {message}")
    return None


def _chunks(books: Iterable[Book], size: int) -> Iterator[list[Book]]:
    chunk: list[Book] = []
    for book in books:
        chunk.append(book)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unique(books: list[Book]) -> list[Book]:
    """The first book of each id (a later one is left to the run, as `already` written)."""
    by_id: dict[str, Book] = {}
    for book in books:
        by_id.setdefault(book["book_id"], book)
    return list(by_id.values())


def _planned_put(
    book: Book, old: dict[str, Any] | None, overwrite: bool, run: WriteRun
) -> tuple[str, dict[str, Any] | None]:
    """What a bulk write does with `book` when the table holds `old`: the ImportCounts field
    it counts in, and the conditional PutItem to make (None: nothing to write)."""
    if old is not None and old.get(RUN_ATTRIBUTE, {}).get("S") == run.run_id:
        return "already", None
    if old is not None and not overwrite:
        return "skipped", None
    names = {"#id": "book_id"}
    values: dict[str, Any] = {}
    if old is None:
        stored, outcome = {**book, "version": int(book.get("version") or 1)}, "created"
        condition = "attribute_not_exists(#id)"
    else:
        previous = _book(old)
        stored, outcome = replaced_book(previous, book, run.actor, run.at), "replaced"
        names["#version"] = "version"
        if "version" in previous:
            condition = "#version = :version"
            values[":version"] = {"N": str(previous["version"])}
            del names["#id"]
        else:  # written by another tool, without a version
            condition = "attribute_exists(#id) AND attribute_not_exists(#version)"
    request: dict[str, Any] = {
        "Item": {**to_item(stored), RUN_ATTRIBUTE: {"S": run.run_id}},
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
    }
    if values:
        request["ExpressionAttributeValues"] = values
    return outcome, request


def _backoff(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2**attempt))

"""One `store` fixture, three backends: a SQLite file, DynamoDB in moto (in-process), and
DynamoDB in `moto_server` over loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from books_api.core.book_store import BookStore
from books_api.store.dynamodb import DynamoDBBookStore
from books_api.store.sqlite import SQLiteBookStore
from tests.support.dynamodb import FAKE_CREDENTIALS, REGION, moto_server, served_table

BACKENDS = ["sqlite", "dynamodb-in-process", "dynamodb-server"]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """`moto_server` on a free loopback port, for the whole session."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def books_api_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's own files (import runs, secret) in the test's directory."""
    home = tmp_path / "books-api-home"
    monkeypatch.setenv("BOOKS_API_HOME", str(home))
    return home


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def table_name() -> str:
    return f"books-{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, table_name: str, fake_aws_credentials: None
) -> Iterator[BookStore]:
    if request.param == "sqlite":
        sqlite = SQLiteBookStore(tmp_path / "books.db")
        yield sqlite
        sqlite.close()
    elif request.param == "dynamodb-in-process":
        with mock_aws():
            in_process = DynamoDBBookStore(table_name, region=REGION)
            in_process.create_table()
            yield in_process
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        served = served_table(endpoint, table_name)
        yield served
        served.client.delete_table(TableName=table_name)
        served.close()

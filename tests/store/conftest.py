"""One `store` fixture, three backends: a SQLite file, DynamoDB in moto (in-process), and
DynamoDB in `moto_server` over loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from books_api.store.base import BookStore
from books_api.store.dynamodb import DynamoDBBookStore
from books_api.store.sqlite import SQLiteBookStore
from tests.support.server import free_port

REGION = "us-east-1"
BACKENDS = ["sqlite", "dynamodb-in-process", "dynamodb-server"]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """`moto_server` on a free loopback port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
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
        served = DynamoDBBookStore(table_name, region=REGION, endpoint_url=endpoint)
        served.create_table()
        yield served
        served.client.delete_table(TableName=table_name)
        served.close()

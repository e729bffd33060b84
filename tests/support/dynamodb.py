"""DynamoDB for tests: `moto_server` on a loopback port, and tables made like the CLI does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

from books_api.store.dynamodb import RETRIES, DynamoDBBookStore
from tests.support.server import free_port

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """Yield the endpoint URL of a `moto_server` started on a free port; stop it after."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def served_table(endpoint: str, table: str) -> DynamoDBBookStore:
    """A new, empty table on `endpoint`, and a store over it."""
    client = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=RETRIES,
    )
    store = DynamoDBBookStore(table, client=client)
    store.create_table()
    return store

"""DynamoDB failures after botocore's retries: throttling and an unreachable endpoint -> 503."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from books_api.core.errors import StoreUnavailable
from books_api.store.dynamodb import DynamoDBBookStore
from tests.store.conftest import REGION
from tests.support.server import free_port


class ThrottlingEndpoint(BaseHTTPRequestHandler):
    """Answers every call as DynamoDB does when a table's throughput is exceeded."""

    calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).calls += 1
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput was exceeded",
            }
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def throttling_endpoint() -> Iterator[str]:
    ThrottlingEndpoint.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), ThrottlingEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_throttling_is_retried_then_reported_as_store_unavailable(
    throttling_endpoint: str, fake_aws_credentials: None
) -> None:
    store = DynamoDBBookStore("Books", region=REGION, endpoint_url=throttling_endpoint)
    with pytest.raises(StoreUnavailable) as raised:
        store.get("1")
    assert raised.value.status == 503
    assert ThrottlingEndpoint.calls == 3  # one call and two retries


def test_unreachable_endpoint_is_reported_as_store_unavailable(
    fake_aws_credentials: None,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    store = DynamoDBBookStore("Books", region=REGION, endpoint_url=closed)
    with pytest.raises(StoreUnavailable):
        store.create({"book_id": "1"})


class PartlyProcessingEndpoint(BaseHTTPRequestHandler):
    """BatchGetItem leaves half of each request's keys unprocessed, as DynamoDB may under
    load; every other call is recorded (the table stays empty)."""

    calls: list[tuple[str, dict[str, object]]] = []  # noqa: RUF012 - shared by the handlers

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        target = self.headers["X-Amz-Target"].rsplit(".", 1)[-1]
        type(self).calls.append((target, request))
        answer: dict[str, object] = {}
        if target == "BatchGetItem":
            keys = request["RequestItems"]["Books"]["Keys"]
            left = keys[(len(keys) + 1) // 2 :]
            unprocessed = {"Books": {**request["RequestItems"]["Books"], "Keys": left}}
            answer = {"Responses": {"Books": []}, "UnprocessedKeys": unprocessed if left else {}}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_bulk_writes_ask_again_for_unprocessed_keys_and_write_each_book_conditionally(
    fake_aws_credentials: None,
) -> None:
    PartlyProcessingEndpoint.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), PartlyProcessingEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        store = DynamoDBBookStore("Books", region=REGION, endpoint_url=endpoint)
        counts = store.write_many({"book_id": f"b{i:02d}"} for i in range(40))
    finally:
        server.shutdown()
        server.server_close()
    assert (counts.created, counts.done) == (40, 40)
    asked = [
        key["book_id"]["S"]
        for target, request in PartlyProcessingEndpoint.calls
        if target == "BatchGetItem"
        for key in request["RequestItems"]["Books"]["Keys"]  # type: ignore[index]
    ]
    assert sorted(set(asked)) == [f"b{i:02d}" for i in range(40)] and len(asked) > 40
    puts = [request for target, request in PartlyProcessingEndpoint.calls if target == "PutItem"]
    assert sorted(put["Item"]["book_id"]["S"] for put in puts) == [  # type: ignore[index]
        f"b{i:02d}" for i in range(40)
    ]
    assert all(put["ConditionExpression"] == "attribute_not_exists(#id)" for put in puts)
    assert {target for target, _ in PartlyProcessingEndpoint.calls} == {"BatchGetItem", "PutItem"}

"""Every route of the Books API over real HTTP, through the gateway and the authorizer."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from books_api.local.gateway.access_log import load_format
from tests.support.books_gateway import RunningGateway


def call(
    http: httpx.Client,
    api: RunningGateway,
    method: str,
    path: str,
    body: Any = None,
    raw: str | None = None,
    **params: str,
) -> httpx.Response:
    headers = {"authorizationToken": f"Bearer {api.token()}"}
    content = raw if raw is not None else (json.dumps(body) if body is not None else None)
    return http.request(
        method, api.url + path, headers=headers, content=content, params=params or None
    )


def new_id() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def test_list_books_returns_the_five_seed_books(http: httpx.Client, api: RunningGateway) -> None:
    response = call(http, api, "GET", "/books")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 200
    seed = {book["book_id"]: book for book in body["data"] if book["book_id"] in "12345"}
    assert set(seed) == {"1", "2", "3", "4", "5"}
    assert seed["1"]["name"] == "The Midnight Library"
    assert seed["1"]["languages"] == ["English", "Spanish", "French"]


def test_get_book_returns_the_book_with_exact_price(
    http: httpx.Client, api: RunningGateway
) -> None:
    response = call(http, api, "GET", "/book", book_id="1")
    assert response.status_code == 200
    assert '"price":12.99' in response.text
    assert response.json()["data"]["author"] == "Matt Haig"


def test_get_missing_book_is_404_with_message(http: httpx.Client, api: RunningGateway) -> None:
    response = call(http, api, "GET", "/book", book_id="9")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "data": "Book with ID 9 not found"}


def test_get_book_without_book_id_is_400(http: httpx.Client, api: RunningGateway) -> None:
    response = call(http, api, "GET", "/book")
    assert response.status_code == 400
    assert response.json() == {"status": 400, "data": "Missing required parameter: book_id"}


def test_post_saves_a_book_and_keeps_decimals(http: httpx.Client, api: RunningGateway) -> None:
    book_id = new_id()
    raw = (
        json.dumps(
            {
                "book_id": book_id,
                "name": "Dune",
                "author": "Frank Herbert",
                "languages": ["English"],
            }
        )[:-1]
        + ', "price": 12.99}'
    )
    response = call(http, api, "POST", "/book", raw=raw)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["Message"] == "Book saved successfully"
    assert data["Item"]["book_id"] == book_id
    assert '"price":12.99' in response.text
    fetched = call(http, api, "GET", "/book", book_id=book_id)
    assert '"price":12.99' in fetched.text


def test_post_existing_id_is_409_and_never_overwrites(
    http: httpx.Client, api: RunningGateway
) -> None:
    book_id = new_id()
    assert (
        call(http, api, "POST", "/book", {"book_id": book_id, "name": "First"}).status_code == 201
    )
    second = call(http, api, "POST", "/book", {"book_id": book_id, "name": "Second"})
    assert second.status_code == 409
    assert second.json()["data"] == f"Book with ID {book_id} already exists"
    kept = call(http, api, "GET", "/book", book_id=book_id).json()["data"]
    assert kept["name"] == "First"


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("{not json", "Invalid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"name": "no id"}', "book_id"),
        ('{"book_id": 7}', "book_id"),
        ('{"book_id": ""}', "book_id"),
        ('{"book_id": "x", "price": "cheap"}', "price"),
        ('{"book_id": "x", "price": -1}', "price"),
        ('{"book_id": "x", "languages": "English"}', "languages"),
        ('{"book_id": "x", "price": NaN}', "not a number"),
        ('{"book_id": "x", "bad name": 1}', "bad name"),
    ],
)
def test_post_bad_body_is_400_with_message(
    http: httpx.Client, api: RunningGateway, raw: str, message_part: str
) -> None:
    response = call(http, api, "POST", "/book", raw=raw)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert message_part in body["data"]


def test_post_without_body_is_400(http: httpx.Client, api: RunningGateway) -> None:
    response = call(http, api, "POST", "/book")
    assert response.status_code == 400
    assert response.json()["data"] == "Request body is required"


def test_patch_updates_one_attribute(http: httpx.Client, api: RunningGateway) -> None:
    book_id = new_id()
    call(http, api, "POST", "/book", {"book_id": book_id, "name": "Old", "price": 1})
    response = call(
        http,
        api,
        "PATCH",
        "/book",
        raw=json.dumps({"book_id": book_id, "update_key": "name", "update_value": "New"}),
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["Message"] == "Book updated successfully"
    assert data["UpdatedAttributes"]["name"] == "New"
    assert call(http, api, "GET", "/book", book_id=book_id).json()["data"]["name"] == "New"


def test_patch_missing_book_is_404(http: httpx.Client, api: RunningGateway) -> None:
    response = call(
        http,
        api,
        "PATCH",
        "/book",
        {"book_id": "no-such-book", "update_key": "name", "update_value": "x"},
    )
    assert response.status_code == 404
    assert response.json()["data"] == "Book with ID no-such-book not found"


@pytest.mark.parametrize(
    "update_key",
    [
        "book_id",
        "name = :x REMOVE price",
        "#name",
        "price, author",
        "1abc",
        "",
        "a" * 65,
        "version",
    ],
)
def test_patch_with_unsafe_update_key_is_400(
    http: httpx.Client, api: RunningGateway, update_key: str
) -> None:
    response = call(
        http, api, "PATCH", "/book", {"book_id": "1", "update_key": update_key, "update_value": "x"}
    )
    assert response.status_code == 400
    assert "update_key" in response.json()["data"] or "cannot be changed" in response.json()["data"]
    assert call(http, api, "GET", "/book", book_id="1").json()["data"]["book_id"] == "1"


def test_patch_missing_fields_is_400(http: httpx.Client, api: RunningGateway) -> None:
    response = call(http, api, "PATCH", "/book", {"book_id": "1"})
    assert response.status_code == 400
    assert "update_key" in response.json()["data"]


def test_delete_removes_and_returns_the_book(http: httpx.Client, api: RunningGateway) -> None:
    book_id = new_id()
    call(http, api, "POST", "/book", {"book_id": book_id, "name": "Gone"})
    response = call(http, api, "DELETE", "/book", {"book_id": book_id})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["Message"] == "Book deleted successfully"
    assert data["DeletedItem"]["name"] == "Gone"
    assert call(http, api, "GET", "/book", book_id=book_id).status_code == 404
    assert call(http, api, "DELETE", "/book", {"book_id": book_id}).status_code == 404


def test_delete_is_served_only_on_book(http: httpx.Client, api: RunningGateway) -> None:
    response = call(http, api, "DELETE", "/books", {"book_id": "1"})
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert call(http, api, "GET", "/book", book_id="1").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("PUT", "/book"),
        ("POST", "/books"),
        ("GET", "/book/1"),
    ],
)
def test_unknown_route_is_403_missing_authentication_token(
    http: httpx.Client, api: RunningGateway, method: str, path: str
) -> None:
    response = call(http, api, method, path)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_each_request_writes_one_access_log_line(http: httpx.Client, api: RunningGateway) -> None:
    response = call(http, api, "GET", "/book", book_id="2")
    request_id = response.headers["x-amzn-RequestId"]
    lines = [
        json.loads(line) for line in api.access_log.getvalue().splitlines() if request_id in line
    ]
    assert len(lines) == 1
    assert lines[0]["httpMethod"] == "GET"
    assert lines[0]["resourcePath"] == "/book"
    assert lines[0]["status"] == "200"
    assert lines[0]["ip"] == "127.0.0.1"
    assert int(lines[0]["responseLength"]) == len(response.content)
    assert list(lines[0]) == sorted(load_format())
    assert lines[0]["principalId"] == "tester"  # the token's sub
    assert lines[0]["integrationStatus"] == "200"

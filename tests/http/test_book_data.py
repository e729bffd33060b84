"""Data behaviour over HTTP on both stores: audit fields, ETag/If-Match, validation, pages."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.books_gateway import RunningGateway, books_gateway
from tests.support.dynamodb import FAKE_CREDENTIALS, REGION, moto_server, served_table


@pytest.fixture(scope="module", params=["sqlite", "dynamodb"])
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    """The gateway over a SQLite file, or over a DynamoDB table in moto_server."""
    data_dir = tmp_path_factory.mktemp("data")
    if request.param == "sqlite":
        with books_gateway(data_dir) as running:
            yield running
        return
    with moto_server() as endpoint:
        served_table(endpoint, "Books_Table").close()
        env = {
            "BOOKS_STORE": "dynamodb",
            "BOOKS_TABLE": "Books_Table",
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_REGION": REGION,
            **FAKE_CREDENTIALS,
        }
        with books_gateway(data_dir, books_env=env) as running:
            yield running


class Client:
    def __init__(self, http: httpx.Client, api: RunningGateway, sub: str = "alice") -> None:
        self.http, self.api = http, api
        self.headers = {"authorizationToken": f"Bearer {api.token(sub=sub)}"}

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
        **params: str,
    ) -> httpx.Response:
        content = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.http.request(
            method,
            self.api.url + path,
            headers={**self.headers, **(headers or {})},
            content=content,
            params=params or None,
        )
        assert response.status_code < 500, response.text
        return response


@pytest.fixture
def client(http: httpx.Client, gateway: RunningGateway) -> Client:
    return Client(http, gateway)


def new_id() -> str:
    return f"d-{uuid.uuid4().hex[:12]}"


def test_post_records_version_audit_fields_and_etag(client: Client) -> None:
    book_id = new_id()
    response = client.send("POST", "/book", {"book_id": book_id, "name": "Dune"})
    assert response.status_code == 201
    item = response.json()["data"]["Item"]
    assert item["version"] == 1
    assert item["created_by"] == item["updated_by"] == "alice"
    assert item["created_at"] == item["updated_at"] and item["created_at"].endswith("Z")
    assert response.headers["ETag"] == '"1"'
    fetched = client.send("GET", "/book", book_id=book_id)
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json()["data"] == item


def test_patch_by_another_user_updates_audit_fields_and_keeps_creation(
    http: httpx.Client, gateway: RunningGateway, client: Client
) -> None:
    book_id = new_id()
    created = client.send("POST", "/book", {"book_id": book_id}).json()["data"]["Item"]
    bob = Client(http, gateway, sub="bob")
    response = bob.send(
        "PATCH", "/book", {"book_id": book_id, "update_key": "price", "update_value": 10.5}
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    updated = response.json()["data"]["UpdatedAttributes"]
    assert updated["price"] == 10.5 and updated["version"] == 2 and updated["updated_by"] == "bob"
    book = client.send("GET", "/book", book_id=book_id).json()["data"]
    assert book["created_by"] == "alice" and book["created_at"] == created["created_at"]
    assert book["updated_at"] >= created["updated_at"]


def test_patch_with_matching_if_match_applies(client: Client) -> None:
    book_id = new_id()
    client.send("POST", "/book", {"book_id": book_id, "name": "Old"})
    response = client.send(
        "PATCH",
        "/book",
        {"book_id": book_id, "update_key": "name", "update_value": "New"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert client.send("GET", "/book", book_id=book_id).json()["data"]["name"] == "New"


@pytest.mark.parametrize("if_match", ['"7"', "7", '"abc"', "W/", '"1" junk'])
def test_patch_and_delete_with_stale_or_bad_if_match_are_412_and_change_nothing(
    client: Client, if_match: str
) -> None:
    book_id = new_id()
    client.send("POST", "/book", {"book_id": book_id, "name": "Kept"})
    client.send("PATCH", "/book", {"book_id": book_id, "update_key": "name", "update_value": "K"})
    patch = client.send(
        "PATCH",
        "/book",
        {"book_id": book_id, "update_key": "name", "update_value": "Lost"},
        headers={"If-Match": if_match},
    )
    assert patch.status_code == 412
    assert patch.json()["status"] == 412
    delete = client.send("DELETE", "/book", {"book_id": book_id}, headers={"If-Match": if_match})
    assert delete.status_code == 412
    book = client.send("GET", "/book", book_id=book_id).json()["data"]
    assert book["name"] == "K" and book["version"] == 2


def test_if_match_with_a_list_of_tags_matches_any_of_them(client: Client) -> None:
    book_id = new_id()
    client.send("POST", "/book", {"book_id": book_id})
    body = {"book_id": book_id, "update_key": "name", "update_value": "A"}
    assert client.send("PATCH", "/book", body, headers={"If-Match": '"5", "1"'}).status_code == 200
    body["update_value"] = "B"
    stale = client.send("PATCH", "/book", body, headers={"If-Match": '"1", "3"'})
    assert stale.status_code == 412
    assert client.send("GET", "/book", book_id=book_id).json()["data"]["name"] == "A"


def test_delete_with_matching_if_match_removes_the_book(client: Client) -> None:
    book_id = new_id()
    client.send("POST", "/book", {"book_id": book_id})
    response = client.send("DELETE", "/book", {"book_id": book_id}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["data"]["DeletedItem"]["book_id"] == book_id
    assert client.send("GET", "/book", book_id=book_id).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"book_id": "x" * 129}, "book_id"),
        ({"book_id": "ok", "version": 5}, "version"),
        ({"book_id": "ok", "created_by": "mallory"}, "created_by"),
        ({"book_id": "ok", "updated_at": "2020"}, "updated_at"),
        ({"book_id": "ok", "name": 5}, "name"),
        ({"book_id": "ok", "author": ["a"]}, "author"),
        ({"book_id": "ok", "price": True}, "price"),
        ({"book_id": "ok", "languages": ["English", 3]}, "languages"),
        ({"book_id": "ok", "a" * 65: 1}, "a" * 65),
        ({"book_id": "ok", "9lives": 1}, "9lives"),
        ({"book_id": "ok", "big": "x" * 420_000}, "400 KB"),
    ],
)
def test_post_violations_are_400_naming_the_field(
    client: Client, body: dict[str, Any], field: str
) -> None:
    response = client.send("POST", "/book", body)
    assert response.status_code == 400
    assert field in response.json()["data"]
    assert client.send("GET", "/book", book_id="ok").status_code == 404


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("price", "cheap", "price"),
        ("price", -0.01, "price"),
        ("name", None, "name"),
        ("languages", "English", "languages"),
        ("created_at", "2020", "created_at"),
        ("version", 99, "version"),
    ],
)
def test_patch_value_is_checked_against_the_attribute_type(
    client: Client, key: str, value: Any, field: str
) -> None:
    book_id = new_id()
    client.send("POST", "/book", {"book_id": book_id, "price": 1})
    response = client.send(
        "PATCH", "/book", {"book_id": book_id, "update_key": key, "update_value": value}
    )
    assert response.status_code == 400
    assert field in response.json()["data"]
    assert client.send("GET", "/book", book_id=book_id).json()["data"]["version"] == 1


def test_a_lone_surrogate_is_a_400_not_a_server_error(client: Client) -> None:
    response = client.send("POST", "/book", raw='{"book_id": "s", "name": "\\ud800"}')
    assert response.status_code == 400
    assert "name" in response.json()["data"]
    response = client.send("POST", "/book", raw='{"book_id": "\\udfff"}')
    assert response.status_code == 400


def test_pages_return_every_book_once_with_next_token(client: Client) -> None:
    ids = {new_id() for _ in range(23)}
    for book_id in ids:
        assert client.send("POST", "/book", {"book_id": book_id}).status_code == 201
    seen: list[str] = []
    params = {"limit": "7"}
    for _ in range(100):
        body = client.send("GET", "/books", **params).json()
        assert isinstance(body["data"], list) and len(body["data"]) <= 7
        seen += [book["book_id"] for book in body["data"]]
        if "next_token" not in body:
            break
        params = {"limit": "7", "next_token": body["next_token"]}
    assert len(seen) == len(set(seen))
    assert ids <= set(seen)


def test_default_page_has_no_next_token_when_everything_fits(client: Client) -> None:
    body = client.send("GET", "/books").json()
    assert body["status"] == 200
    assert len(body["data"]) <= 100
    if len(body["data"]) < 100:
        assert "next_token" not in body


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "abc", "1.5", "", "99999999999"])
def test_out_of_range_limit_is_400(client: Client, limit: str) -> None:
    response = client.send("GET", "/books", limit=limit)
    assert response.status_code == 400
    assert "limit" in response.json()["data"]


def test_tampered_or_foreign_next_token_is_400(client: Client) -> None:
    token = client.send("GET", "/books", limit="1").json()["next_token"]
    payload, signature = token.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    bad_tokens = [
        f"{flipped}.{signature}",
        f"{payload}.{signature[:-2]}",
        f"{payload}.",
        "garbage",
        token + "x",
        "eyJrIjoienp6In0.AAAAAAAAAAAAAAAAAAAAAA",
        "a" * 5000,
    ]
    for bad in bad_tokens:
        response = client.send("GET", "/books", next_token=bad)
        assert response.status_code == 400, bad
        assert response.json()["data"] == "Invalid next_token"


def test_page_is_cut_before_lambdas_6_mb_limit(http: httpx.Client, tmp_path: Path) -> None:
    with books_gateway(tmp_path) as api:
        client = Client(http, api)
        for index in range(18):
            body = {"book_id": f"big{index:02d}", "text": '"' * 190_000}
            assert client.send("POST", "/book", body).status_code == 201
        ids: list[str] = []
        params = {"limit": "1000"}
        while True:
            response = client.send("GET", "/books", **params)
            assert response.status_code == 200
            assert len(response.content) < 6 * 1024 * 1024
            body = response.json()
            ids += [book["book_id"] for book in body["data"]]
            if "next_token" not in body:
                break
            assert len(body["data"]) < 18
            params = {"limit": "1000", "next_token": body["next_token"]}
        assert sorted(set(ids) - set("12345")) == [f"big{i:02d}" for i in range(18)]
        assert len(ids) == len(set(ids))


def test_values_nested_deeper_than_dynamodb_allows_are_400(client: Client) -> None:
    deep: Any = "leaf"
    for _ in range(31):
        deep = {"a": deep}
    response = client.send("POST", "/book", {"book_id": new_id(), "deep": deep})
    assert response.status_code == 400
    assert "deep" in response.json()["data"]
    fine: Any = "leaf"
    for _ in range(20):
        fine = [fine]
    assert client.send("POST", "/book", {"book_id": new_id(), "fine": fine}).status_code == 201

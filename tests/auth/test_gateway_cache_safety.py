"""Through the real local gateway over HTTP, with API Gateway's authorizer cache (TTL 300):
the first route a token calls never decides what its cached policy allows elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.books_gateway import RunningGateway, books_gateway

PERMISSIONS = {"api_user": ["*"], "reader": ["GET /books", "GET /book"]}
DENIED = {"Message": "User is not authorized to access this resource"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    env = {"ROLE_PERMISSIONS": json.dumps(PERMISSIONS)}
    with books_gateway(tmp_path_factory.mktemp("cache"), extra_authorizer_env=env) as running:
        yield running


def cached_policy(gateway: RunningGateway, token: str) -> object:
    (cache,) = gateway.gateway.caches.values()
    assert cache.ttl_s == 300
    return cache.get((token,))


def test_reader_get_then_delete_is_200_then_403(
    gateway: RunningGateway, http: httpx.Client
) -> None:
    token = gateway.token(sub="rita", role="reader")
    headers = {"authorizationToken": f"Bearer {token}"}
    assert http.get(f"{gateway.url}/books", headers=headers).status_code == 200
    assert cached_policy(gateway, f"Bearer {token}") is not None
    response = http.request("DELETE", f"{gateway.url}/book", headers=headers, json={"book_id": "1"})
    assert response.status_code == 403
    assert response.json() == DENIED
    assert (
        http.get(f"{gateway.url}/book", params={"book_id": "1"}, headers=headers).status_code == 200
    )


def test_api_user_get_then_delete_is_200_then_200(
    gateway: RunningGateway, http: httpx.Client
) -> None:
    token = gateway.token(sub="ada", role="api_user")
    headers = {"authorizationToken": token}
    created = http.post(f"{gateway.url}/book", headers=headers, json={"book_id": "cache-1"})
    assert created.status_code == 201
    assert http.get(f"{gateway.url}/books", headers=headers).status_code == 200
    assert cached_policy(gateway, token) is not None
    deleted = http.request(
        "DELETE", f"{gateway.url}/book", headers=headers, json={"book_id": "cache-1"}
    )
    assert deleted.status_code == 200
    assert deleted.json()["data"]["DeletedItem"]["book_id"] == "cache-1"


def test_reader_delete_first_then_get_is_403_then_200(
    gateway: RunningGateway, http: httpx.Client
) -> None:
    headers = {"authorizationToken": gateway.token(sub="rory", role="reader")}
    response = http.request("DELETE", f"{gateway.url}/book", headers=headers, json={"book_id": "2"})
    assert response.status_code == 403
    assert http.get(f"{gateway.url}/books", headers=headers).status_code == 200


def test_unknown_role_is_an_explicit_deny_on_every_route(
    gateway: RunningGateway, http: httpx.Client
) -> None:
    headers = {"authorizationToken": gateway.token(sub="gus", role="guest")}
    for method, path in (("GET", "/books"), ("GET", "/book?book_id=1"), ("DELETE", "/book")):
        response = http.request(method, gateway.url + path, headers=headers)
        assert response.status_code == 403
        assert "explicit deny" in response.json()["Message"]

"""What the gateway answers for each kind of token, over real HTTP."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

from tests.support.books_gateway import RunningGateway

UNAUTHORIZED = {"message": "Unauthorized"}
EXPLICIT_DENY = {"Message": "User is not authorized to access this resource with an explicit deny"}


def get_books(http: httpx.Client, api: RunningGateway, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"authorizationToken": token}
    return http.get(api.url + "/books", headers=headers)


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_with_bearer_prefix_is_allowed(http: httpx.Client, api: RunningGateway) -> None:
    response = get_books(http, api, f"Bearer {api.token()}")
    assert response.status_code == 200


def test_valid_token_without_prefix_is_allowed(http: httpx.Client, api: RunningGateway) -> None:
    assert get_books(http, api, api.token(sub="bare")).status_code == 200


def test_missing_token_is_401_without_invoking_authorizer(
    http: httpx.Client, api: RunningGateway
) -> None:
    response = get_books(http, api, None)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_empty_token_is_401(http: httpx.Client, api: RunningGateway) -> None:
    response = get_books(http, api, "")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_forged_signature_is_401(http: httpx.Client, api: RunningGateway) -> None:
    forged = jwt.encode(
        {"sub": "mallory", "Role": "api_user", "exp": time.time() + 600},
        "not-the-secret-but-long-enough-for-hs256-keys!",
        algorithm="HS256",
    )
    response = get_books(http, api, forged)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_expired_token_is_401(http: httpx.Client, api: RunningGateway) -> None:
    response = get_books(http, api, api.token(ttl=-120))
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_token_is_401(http: httpx.Client, api: RunningGateway, alg: str) -> None:
    header = b64({"alg": alg, "typ": "JWT"})
    payload = b64({"sub": "mallory", "Role": "api_user", "exp": int(time.time()) + 600})
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        response = get_books(http, api, token)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


def test_token_without_exp_is_401(http: httpx.Client, api: RunningGateway) -> None:
    token = jwt.encode({"sub": "x", "Role": "api_user"}, api.secret, algorithm="HS256")
    assert get_books(http, api, token).status_code == 401


def test_role_not_allowed_is_403_explicit_deny(http: httpx.Client, api: RunningGateway) -> None:
    response = get_books(http, api, api.token(sub="reader", role="reader"))
    assert response.status_code == 403
    assert response.json() == EXPLICIT_DENY
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"


def test_garbage_token_is_401(http: httpx.Client, api: RunningGateway) -> None:
    for token in ("abc", "a.b.c", "Bearer", "Bearer a.b", "x" * 10000):
        response = get_books(http, api, token)
        assert response.status_code == 401, token[:20]


def test_principal_reaches_the_books_function(http: httpx.Client, api: RunningGateway) -> None:
    book_id = f"who-{time.time_ns()}"
    token = api.token(sub="alice")
    response = http.post(
        api.url + "/book", headers={"authorizationToken": token}, json={"book_id": book_id}
    )
    assert response.status_code == 201
    assert response.json()["data"]["Item"]["created_by"] == "alice"

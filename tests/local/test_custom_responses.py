"""Gateway responses customised with x-amazon-apigateway-gateway-responses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from books_api.local.gateway.app import build_gateway, create_app
from tests.local.conftest import HERE, TEST_FUNCTIONS, serve_in_thread


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    gateway = build_gateway(HERE / "custom_responses.yaml", TEST_FUNCTIONS)
    with serve_in_thread(create_app(gateway)) as base:
        yield f"{base}/prod"


def test_specific_type_uses_its_status_headers_and_template(url: str) -> None:
    response = httpx.get(f"{url}/private", headers={"Origin": "https://site.example"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "type": "UNAUTHORIZED"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["X-Seen-Origin"] == "https://site.example"
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_default_4xx_adds_headers_and_keeps_the_default_body(url: str) -> None:
    response = httpx.get(f"{url}/nowhere")
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_default_5xx_applies_to_a_failed_lambda_invocation(url: str) -> None:
    response = httpx.get(f"{url}/raises")
    assert response.status_code == 502
    assert response.json() == {
        "error": "Internal server error",
        "requestId": response.headers["x-amzn-RequestId"],
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"

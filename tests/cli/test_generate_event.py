"""`books-api generate-event`: the gateway's own events, real ones by Powertools' models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequest,
    ApiGatewayAuthorizerToken,
    APIGatewayProxyEventModel,
)

from tests.local.conftest import LocalGateway, running_test_gateway

REPOSITORY = Path(__file__).parents[2]
CLI = [sys.executable, "-m", "books_api.cli"]


@pytest.fixture(scope="module")
def gw() -> Iterator[LocalGateway]:
    """The test document's gateway, to compare its events with the generated ones."""
    with running_test_gateway() as running:
        yield running


def generate(home: Path, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [*CLI, "generate-event", "apigateway", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "BOOKS_API_HOME": str(home)},
        check=True,
    )
    event: dict[str, Any] = json.loads(result.stdout)
    return event


def keys_of(event: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    context = event["requestContext"]
    return set(event), set(context), set(context["identity"])


def test_aws_proxy_event_is_the_one_the_gateway_sends(tmp_path: Path, gw: LocalGateway) -> None:
    event = generate(tmp_path, "aws-proxy", "--method", "POST", "--path", "/echo/5?tag=a",
                     "--resource", "/echo/{id}", "--query", "tag=b", "--header", "X-Multi: one",
                     "--body", '{"k": 1}', "--stage", "test")  # fmt: skip
    APIGatewayProxyEventModel.model_validate(event)
    assert event["httpMethod"] == "POST" and event["resource"] == "/echo/{id}"
    assert event["path"] == "/echo/5" and event["pathParameters"] == {"id": "5"}
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["headers"]["X-Multi"] == "one"
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["stage"] == "test"
    assert event["requestContext"]["path"] == "/test/echo/5"
    served = httpx.get(f"{gw.url}/echo/5?tag=a", headers={"authorizationToken": "allow"})
    gateway_event = served.json()["event"]
    generated_keys = keys_of(event)
    served_keys = keys_of(gateway_event)
    assert generated_keys[0] == served_keys[0]
    assert generated_keys[1] == served_keys[1] - {"authorizer"}
    assert generated_keys[2] == served_keys[2]


def test_authorizer_token_event_carries_a_local_token(tmp_path: Path) -> None:
    event = generate(tmp_path, "authorizer-token", "--method", "DELETE", "--path", "/book")
    ApiGatewayAuthorizerToken.model_validate(event)
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:local/prod/DELETE/book"
    secret = (tmp_path / "jwt-secret").read_text().strip()
    assert jwt.decode(event["authorizationToken"], secret, algorithms=["HS256"])["Role"]
    given = generate(tmp_path, "authorizer-token", "--token", "Bearer abc")
    assert given["authorizationToken"] == "Bearer abc"


def test_authorizer_request_event_has_the_request_shape(tmp_path: Path) -> None:
    event = generate(tmp_path, "authorizer-request", "--path", "/book", "--query", "book_id=3",
                     "--header", "X-User: ada", "--stage-variable", "realm=books")  # fmt: skip
    ApiGatewayAuthorizerRequest.model_validate(event)
    sample = json.loads(
        (REPOSITORY / "tests" / "events" / "apigw_authorizer_request.json").read_text()
    )
    assert set(event) == set(sample)
    assert event["type"] == "REQUEST"
    assert event["stageVariables"] == {"realm": "books"}
    assert event["queryStringParameters"] == {"book_id": "3"}
    assert event["headers"]["X-User"] == "ada"


def test_generated_event_piped_into_invoke_books_answers(tmp_path: Path) -> None:
    env = {**os.environ, "BOOKS_API_HOME": str(tmp_path)}
    pipeline = (
        f"{sys.executable} -m books_api.cli generate-event apigateway aws-proxy "
        "--path '/book?book_id=2' --resource /book"
        f" | {sys.executable} -m books_api.cli invoke books --event -"
    )
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["status"] == 200 and body["data"]["book_id"] == "2"
    assert body["data"]["name"] == "Atomic Habits"  # the article's books, as `serve` starts


def test_path_outside_the_resource_is_a_one_line_mistake(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "generate-event", "apigateway", "aws-proxy", "--path", "/books",
         "--resource", "/book/{id}"],
        capture_output=True, text=True, env={**os.environ, "BOOKS_API_HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 2
    assert "--path '/books' does not match --resource '/book/{id}'" in result.stderr
    assert result.stderr.count("\n") == 1

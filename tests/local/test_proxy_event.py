"""The proxy event (v1) the gateway sends: complete, and a real one by Powertools' models."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerToken,
    APIGatewayProxyEventModel,
)

from tests.local.conftest import LocalGateway

SAMPLE = Path(__file__).parents[1] / "events" / "apigw_rest_proxy_v1.json"


def echoed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_sample_event_from_the_aws_documentation_parses_with_the_powertools_model() -> None:
    sample = json.loads(SAMPLE.read_text("utf-8"))
    parsed = APIGatewayProxyEventModel.model_validate(sample)
    assert parsed.requestContext.stage == sample["requestContext"]["stage"]


def test_event_has_every_key_of_the_documented_sample(
    gw: LocalGateway, client: httpx.Client
) -> None:
    sample = json.loads(SAMPLE.read_text("utf-8"))
    event = echoed(client.get(f"{gw.url}/echo", headers={"authorizationToken": "allow"}))["event"]
    assert set(sample) <= set(event)
    assert set(sample["requestContext"]) - {"authorizer"} <= set(event["requestContext"])
    assert set(sample["requestContext"]["identity"]) <= set(event["requestContext"]["identity"])
    APIGatewayProxyEventModel.model_validate(event)


def test_event_carries_query_headers_and_request_context(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(
        f"{gw.url}/echo?tag=a&tag=b&q=x%20y&empty=",
        headers={"authorizationToken": "allow", "X-Multi": "one", "User-Agent": "tester/1.0"},
    )
    event = echoed(response)["event"]
    assert event["resource"] == "/echo"
    assert event["path"] == "/echo"
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"tag": "b", "q": "x y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {
        "tag": ["a", "b"],
        "q": ["x y"],
        "empty": [""],
    }
    assert event["headers"]["X-Multi"] == "one"
    assert event["multiValueHeaders"]["X-Multi"] == ["one"]
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["path"] == "/prod/echo"
    assert context["stage"] == "prod"
    assert context["resourcePath"] == "/echo"
    assert context["httpMethod"] == "GET"
    assert context["protocol"] == "HTTP/1.1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "tester/1.0"
    assert context["domainName"] == "127.0.0.1"
    assert isinstance(context["requestTimeEpoch"], int)
    day, month, rest = context["requestTime"].split("/")
    assert len(day) == 2 and len(month) == 3 and rest.endswith(" +0000")
    assert context["accountId"].isdigit()
    assert context["apiId"] and context["resourceId"] and context["extendedRequestId"]
    APIGatewayProxyEventModel.model_validate(event)


def test_event_without_query_string_has_null_query_maps(
    gw: LocalGateway, client: httpx.Client
) -> None:
    event = echoed(client.get(f"{gw.url}/open"))["event"]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert "authorizer" not in event["requestContext"]


def test_path_parameters_and_greedy_proxy_are_decoded(
    gw: LocalGateway, client: httpx.Client
) -> None:
    headers = {"authorizationToken": "allow"}
    event = echoed(client.get(f"{gw.url}/echo/a%20b", headers=headers))["event"]
    assert event["resource"] == "/echo/{id}"
    assert event["pathParameters"] == {"id": "a b"}
    event = echoed(client.get(f"{gw.url}/files/x/y/z.txt", headers=headers))["event"]
    assert event["resource"] == "/files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "x/y/z.txt"}
    # One segment: the plain parameter is more specific than the greedy one.
    event = echoed(client.get(f"{gw.url}/files/z.txt", headers=headers))["event"]
    assert event["resource"] == "/files/{name}"


def test_any_method_serves_every_method_not_defined_on_its_own(
    gw: LocalGateway, client: httpx.Client
) -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "HEAD"):
        response = client.request(method, f"{gw.url}/any/a/b")
        assert response.status_code == 200, method
        if method != "HEAD":
            event = response.json()["event"]
            assert event["httpMethod"] == method
            assert event["resource"] == "/any/{proxy+}"
            assert event["requestContext"]["httpMethod"] == method
    assert client.delete(f"{gw.url}/any/a/b").status_code == 502  # DELETE has its own


def test_text_body_is_passed_as_a_string(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.post(
        f"{gw.url}/echo", content=b'{"a": 1}', headers={"authorizationToken": "allow"}
    )
    event = echoed(response)["event"]
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False


def test_binary_media_type_body_is_base64_encoded(gw: LocalGateway, client: httpx.Client) -> None:
    payload = bytes(range(256))
    response = client.post(
        f"{gw.url}/echo",
        content=payload,
        headers={"authorizationToken": "allow", "Content-Type": "application/octet-stream"},
    )
    event = echoed(response)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_authorizer_context_reaches_the_function_as_strings(
    gw: LocalGateway, client: httpx.Client
) -> None:
    event = echoed(client.get(f"{gw.url}/echo", headers={"authorizationToken": "ctx-types"}))[
        "event"
    ]
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    assert authorizer["admin"] == "false"
    assert authorizer["ratio"] == "0.5"
    assert authorizer["calls"].isdigit()
    assert authorizer["nothing"] is None
    assert isinstance(authorizer["integrationLatency"], int)


def test_authorizer_receives_a_token_event_with_the_method_arn(
    gw: LocalGateway, client: httpx.Client
) -> None:
    event = echoed(client.get(f"{gw.url}/echo/42", headers={"authorizationToken": "arn-check"}))[
        "event"
    ]
    token_event = json.loads(event["requestContext"]["authorizer"]["event"])
    parsed = ApiGatewayAuthorizerToken.model_validate(token_event)
    assert parsed.type == "TOKEN"
    assert token_event["authorizationToken"] == "arn-check"
    assert token_event["methodArn"].startswith("arn:aws:execute-api:")
    assert token_event["methodArn"].endswith("/prod/GET/echo/42")


def test_repeated_request_header_keeps_all_values_and_the_last_in_headers(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(f"{gw.url}/open", headers=[("X-Dup", "first"), ("X-Dup", "second")])
    event = echoed(response)["event"]
    assert event["headers"]["X-Dup"] == "second"
    assert event["multiValueHeaders"]["X-Dup"] == ["first", "second"]
    assert "x-dup" not in event["headers"] and "x-dup" not in event["multiValueHeaders"]


def test_header_names_reach_the_function_as_the_client_sent_them(
    gw: LocalGateway, client: httpx.Client
) -> None:
    sent = [("content-TYPE", "text/plain"), ("x-lower", "1"), ("X-UPPER", "2"), ("X-Mixed", "3")]
    headers = [("authorizationToken", "allow"), *sent]
    event = echoed(client.post(f"{gw.url}/echo", headers=headers, content=b"hi"))["event"]
    for name, value in sent:
        assert event["headers"][name] == value
        assert event["multiValueHeaders"][name] == [value]
    assert {"content-type", "x-upper", "x-mixed"}.isdisjoint(event["headers"])
    assert event["headers"]["Host"].startswith("127.0.0.1:")  # as httpx names it
    assert event["body"] == "hi"


def test_gateway_reads_headers_whatever_their_case(gw: LocalGateway, client: httpx.Client) -> None:
    """The authorizer's identity source is named `authorizationToken`; a client may send it
    in any case, as HTTP allows."""
    for name in ("authorizationToken", "AUTHORIZATIONTOKEN", "authorizationtoken"):
        response = client.get(f"{gw.url}/echo", headers={name: "allow"})
        assert echoed(response)["event"]["headers"][name] == "allow"
    forwarded = [("x-forwarded-for", "203.0.113.9")]
    headers = echoed(client.get(f"{gw.url}/open", headers=forwarded))["event"]["headers"]
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert "X-Forwarded-For" not in headers


def test_gateway_adds_forwarding_and_trace_headers(gw: LocalGateway, client: httpx.Client) -> None:
    event = echoed(client.get(f"{gw.url}/open", headers={"X-Forwarded-For": "203.0.113.7"}))[
        "event"
    ]
    headers = event["headers"]
    assert headers["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == gw.base.rsplit(":", 1)[1]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["X-Amzn-Trace-Id"])
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"

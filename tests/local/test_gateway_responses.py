"""Gateway responses as AWS sends them: status, body and x-amzn-ErrorType; a request id always."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pytest

from tests.local.conftest import LocalGateway

INTERNAL_ERROR = {"message": "Internal server error"}


def assert_gateway_error(response: httpx.Response, status: int, body: object, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == body
    assert response.headers["x-amzn-ErrorType"] == kind
    assert response.headers["x-amzn-RequestId"]
    if status in (502, 504):  # byte for byte as deployed APIs send them
        assert response.content == json.dumps(body).encode()
        assert response.headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    else:
        assert response.content == json.dumps(body, separators=(",", ":")).encode()


@pytest.mark.parametrize("kind", ["no-status", "string-status", "object-body", "not-a-dict"])
def test_malformed_proxy_response_returns_502(
    gw: LocalGateway, client: httpx.Client, kind: str
) -> None:
    response = client.get(f"{gw.url}/malformed", params={"kind": kind})
    assert_gateway_error(response, 502, INTERNAL_ERROR, "InternalServerErrorException")


def test_function_that_raises_returns_502_and_the_gateway_keeps_serving(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(f"{gw.url}/raises")
    assert_gateway_error(response, 502, INTERNAL_ERROR, "InternalServerErrorException")
    assert client.get(f"{gw.url}/open").status_code == 200


def test_function_calling_sys_exit_returns_502_and_the_gateway_keeps_serving(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(f"{gw.url}/exits")
    assert_gateway_error(response, 502, INTERNAL_ERROR, "InternalServerErrorException")
    assert client.get(f"{gw.url}/open").status_code == 200


def test_function_past_its_own_timeout_returns_502(gw: LocalGateway, client: httpx.Client) -> None:
    # sleepy has a 1 s Lambda timeout; the integration would wait 29 s.
    response = client.get(f"{gw.url}/sleepy", params={"seconds": "2"})
    assert_gateway_error(response, 502, INTERNAL_ERROR, "InternalServerErrorException")
    assert response.elapsed.total_seconds() < 1.9


def test_integration_past_timeout_in_millis_returns_504(
    gw: LocalGateway, client: httpx.Client
) -> None:
    # slow has a 10 s Lambda timeout, but the document's timeoutInMillis is 500.
    response = client.get(f"{gw.url}/slow", params={"seconds": "1.5"})
    assert_gateway_error(
        response, 504, {"message": "Endpoint request timed out"}, "InternalServerErrorException"
    )
    assert response.elapsed.total_seconds() < 1.4


def test_function_response_over_6_mb_returns_502(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.get(f"{gw.url}/huge")
    assert_gateway_error(response, 502, INTERNAL_ERROR, "InternalServerErrorException")
    fine = client.get(f"{gw.url}/huge", params={"bytes": str(5 * 1024 * 1024)})
    assert fine.status_code == 200
    assert len(fine.content) == 5 * 1024 * 1024


def test_request_body_over_10_mb_returns_413_in_plain_text(
    gw: LocalGateway, client: httpx.Client
) -> None:
    body = b"x" * (10 * 1024 * 1024 + 1)
    response = client.post(f"{gw.url}/echo", content=body, headers={"authorizationToken": "big"})
    assert response.status_code == 413
    assert response.text == "HTTP content length exceeded 10485760 bytes."
    assert response.headers["content-type"] == "text; charset=utf-8"
    assert response.headers["x-amzn-RequestId"]


def test_event_over_lambdas_6_mb_returns_413_request_too_long(
    gw: LocalGateway, client: httpx.Client
) -> None:
    before = client.get(f"{gw.url}/open").json()["invocations"]
    body = b"x" * (7 * 1024 * 1024)
    response = client.post(f"{gw.url}/echo", content=body, headers={"authorizationToken": "big"})
    assert response.status_code == 413
    assert response.content == b'{"message": "Request Too Long"}'
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert client.get(f"{gw.url}/open").json()["invocations"] == before + 1


def test_unknown_path_returns_403_missing_authentication_token(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(f"{gw.url}/nowhere")
    assert_gateway_error(
        response,
        403,
        {"message": "Missing Authentication Token"},
        "MissingAuthenticationTokenException",
    )


def test_another_stage_or_the_stage_in_another_case_is_forbidden(
    gw: LocalGateway, client: httpx.Client
) -> None:
    stage = gw.url.rsplit("/", 1)[1]
    assert stage != stage.capitalize()
    for path in ("/other-stage/echo", f"/{stage.capitalize()}/echo", f"/{stage.upper()}", "/"):
        response = client.get(f"{gw.base}{path}", headers={"authorizationToken": "allow"})
        assert_gateway_error(response, 403, {"message": "Forbidden"}, "ForbiddenException")


def test_method_not_in_the_document_returns_403(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.delete(f"{gw.url}/echo", headers={"authorizationToken": "allow"})
    assert_gateway_error(
        response,
        403,
        {"message": "Missing Authentication Token"},
        "MissingAuthenticationTokenException",
    )


def test_binary_proxy_response_is_decoded_and_multi_value_headers_kept(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(f"{gw.url}/binary")
    assert response.status_code == 200
    assert response.content == bytes(range(256))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers.get_list("x-both") == ["one", "two"]
    assert base64.b64encode(response.content)


def test_every_response_carries_a_distinct_request_id(
    gw: LocalGateway, client: httpx.Client
) -> None:
    responses = [client.get(f"{gw.url}/open") for _ in range(5)]
    responses.append(client.get(f"{gw.url}/nowhere"))
    ids = {r.headers["x-amzn-RequestId"] for r in responses}
    assert len(ids) == 6
    uuid_shape = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert all(re.fullmatch(uuid_shape, request_id) for request_id in ids)
    assert len({r.headers["x-amz-apigw-id"] for r in responses}) == 6

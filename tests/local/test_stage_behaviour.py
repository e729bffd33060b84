"""Stage-level behaviour: throttling, CORS, the access log, keep-alive connections."""

from __future__ import annotations

import json
import re
import socket
import statistics
import time
from pathlib import Path

import httpx
import pytest

from books_api.local.gateway.access_log import VARIABLES, FormatError, load_format
from books_api.local.gateway.throttle import TokenBucket
from tests.local.conftest import LocalGateway, running_test_gateway


def test_requests_past_rate_and_burst_get_429(client: httpx.Client) -> None:
    with running_test_gateway(throttle=TokenBucket(rate=1, burst=2)) as running:
        statuses = [client.get(f"{running.url}/open").status_code for _ in range(3)]
        throttled = client.get(f"{running.url}/open")
    assert statuses == [200, 200, 429]
    assert throttled.json() == {"message": "Too Many Requests"}
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"


def test_token_bucket_refills_at_the_rate() -> None:
    bucket = TokenBucket(rate=50, burst=1)
    assert bucket.take()
    assert not bucket.take()
    time.sleep(0.05)
    assert bucket.take()


def test_options_mock_integration_answers_the_preflight(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.options(f"{gw.url}/open")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type,authorizationToken"
    assert response.content == b""


def test_options_without_cors_configuration_is_403_missing_authentication_token(
    client: httpx.Client,
) -> None:
    from books_api.local.gateway.app import build_gateway, create_app
    from books_api.local.gateway.document import default_paths
    from tests.support.server import serve_in_thread

    api, functions = default_paths()
    with serve_in_thread(create_app(build_gateway(api, functions))) as base:
        response = client.options(
            f"{base}/prod/books",
            headers={"Origin": "https://x.example", "Access-Control-Request-Method": "GET"},
        )
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_cors_extension_answers_preflight_for_allowed_origin(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.options(
        f"{gw.url}/echo",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorizationtoken",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert response.headers["Access-Control-Max-Age"] == "600"
    refused = client.options(
        f"{gw.url}/echo",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_cors_extension_adds_allow_origin_to_responses(
    gw: LocalGateway, client: httpx.Client
) -> None:
    response = client.get(
        f"{gw.url}/echo",
        headers={"authorizationToken": "allow", "Origin": "https://app.example.com"},
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Expose-Headers"] == "x-amzn-RequestId"


def test_access_log_line_is_the_deployed_stage_line(gw: LocalGateway, client: httpx.Client) -> None:
    """Each line has the fields of the stage's format (the file Terraform reads), in the order
    Terraform's jsonencode writes them, with API Gateway's value for each variable."""
    fields = load_format()
    ok = client.get(f"{gw.url}/echo/9", headers={"authorizationToken": "allow"})
    missing = client.get(f"{gw.url}/nowhere")
    unauthorized = client.get(f"{gw.url}/echo/9")
    failed = client.get(f"{gw.url}/raises")
    lines = {
        entry["requestId"]: entry
        for entry in map(json.loads, gw.access_log.getvalue().splitlines())
    }
    for response in (ok, missing, unauthorized, failed):
        assert list(lines[response.headers["x-amzn-RequestId"]]) == sorted(fields)
    assert set(fields.values()) <= set(VARIABLES)

    def logged(response: httpx.Response) -> dict[str, str]:
        entry = lines[response.headers["x-amzn-RequestId"]]
        values = {fields[name]: value for name, value in entry.items()}
        assert values["$context.status"] == str(response.status_code)
        assert values["$context.responseLength"] == str(len(response.content))
        assert values["$context.identity.sourceIp"] == "127.0.0.1"
        assert values["$context.protocol"] == "HTTP/1.1"
        assert re.fullmatch(
            r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000", values["$context.requestTime"]
        )
        return values

    served = logged(ok)
    event = ok.json()["event"]
    assert served["$context.httpMethod"] == "GET"
    assert served["$context.resourcePath"] == "/echo/{id}"
    assert served["$context.authorizer.principalId"] == "user-1"
    assert event["requestContext"]["authorizer"]["principalId"] == "user-1"
    assert served["$context.integration.status"] == "200"
    assert served["$context.error.message"] == "-"
    for response, resource, message in (
        (missing, "-", "Missing Authentication Token"),
        (unauthorized, "/echo/{id}", "Unauthorized"),
        (failed, "/raises", "Internal server error"),
    ):
        values = logged(response)
        assert values["$context.resourcePath"] == resource
        assert values["$context.error.message"] == message
        assert values["$context.authorizer.principalId"] == "-"
        assert values["$context.integration.status"] == "-"


def test_an_access_log_format_the_stage_cannot_fill_is_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "format.json"
    wrong.write_text('{"requestId": "$context.requestId", "who": "$context.identity.user"}')
    with pytest.raises(FormatError, match=r"'who' logs '\$context.identity.user'"):
        load_format(wrong)


def test_reused_keep_alive_connection_answers_without_delay(
    gw: LocalGateway, client: httpx.Client
) -> None:
    client.get(f"{gw.url}/open")
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        assert client.get(f"{gw.url}/open").status_code == 200
        timings.append(time.perf_counter() - started)
    # Small writes held back by Nagle's algorithm would add ~40 ms to each answer.
    assert statistics.median(timings) < 0.03


def test_client_leaving_mid_body_never_reaches_the_function(
    gw: LocalGateway, client: httpx.Client
) -> None:
    before = client.get(f"{gw.url}/open").json()["invocations"]
    host, port = gw.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            b"POST /prod/echo HTTP/1.1\r\nHost: x\r\nauthorizationToken: allow\r\n"
            b"Content-Length: 100\r\n\r\n" + b'{"partial": '
        )
        time.sleep(0.2)
    time.sleep(0.2)
    after = client.get(f"{gw.url}/open").json()["invocations"]
    assert after == before + 1

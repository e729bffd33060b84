"""Stage-level behaviour: throttling, CORS, the access log, keep-alive connections."""

from __future__ import annotations

import json
import socket
import statistics
import time

import httpx

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


def test_access_log_line_has_the_stage_format_fields(
    gw: LocalGateway, client: httpx.Client
) -> None:
    ok = client.get(f"{gw.url}/echo/9", headers={"authorizationToken": "allow"})
    missing = client.get(f"{gw.url}/nowhere")
    lines = {
        entry["requestId"]: entry
        for entry in map(json.loads, gw.access_log.getvalue().splitlines())
    }
    entry = lines[ok.headers["x-amzn-RequestId"]]
    assert set(entry) == {
        "requestId",
        "ip",
        "requestTime",
        "httpMethod",
        "resourcePath",
        "status",
        "responseLength",
    }
    assert entry["resourcePath"] == "/echo/{id}"
    assert entry["status"] == "200"
    assert entry["responseLength"] == str(len(ok.content))
    assert entry["ip"] == "127.0.0.1"
    assert lines[missing.headers["x-amzn-RequestId"]]["resourcePath"] == "-"


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

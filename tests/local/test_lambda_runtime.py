"""Functions run like Lambda: own environment, a context object, warm between requests."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.local.conftest import LocalGateway, running_test_gateway


def test_context_object_describes_the_function(gw: LocalGateway, client: httpx.Client) -> None:
    response = client.get(f"{gw.url}/open")
    context = response.json()["context"]
    assert context["function_name"] == "echo"
    assert context["memory_limit_in_mb"] == 512
    assert context["invoked_function_arn"].startswith("arn:aws:lambda:")
    assert context["invoked_function_arn"].endswith(":function:echo")
    assert context["aws_request_id"] == response.headers["x-amzn-RequestId"]
    assert 0 < context["remaining_ms"] <= 5000


def test_function_gets_the_environment_of_the_functions_file(
    gw: LocalGateway, client: httpx.Client
) -> None:
    assert client.get(f"{gw.url}/open").json()["greeting"] == "hello from functions.yaml"


def test_function_is_imported_once_and_kept_warm(gw: LocalGateway, client: httpx.Client) -> None:
    first = client.get(f"{gw.url}/open").json()["invocations"]
    second = client.get(f"{gw.url}/open").json()["invocations"]
    assert second == first + 1


def test_each_gateway_has_its_own_cold_start_and_environment(client: httpx.Client) -> None:
    environment = {"echo": {"GREETING": "overridden"}}
    with running_test_gateway(environment=environment) as other:
        payload = client.get(f"{other.url}/open").json()
    assert payload["invocations"] == 1
    assert payload["greeting"] == "overridden"


def test_function_log_lines_carry_their_own_request_id_under_concurrency(
    tmp_path: Path, client: httpx.Client
) -> None:
    logs = tmp_path / "function.log"
    with running_test_gateway(environment={"logs": {"LOGS_FILE": str(logs)}}) as running:
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: client.get(f"{running.url}/logs"), range(16)))
    request_ids = {r.json()["request_id"] for r in responses}
    assert request_ids == {r.headers["x-amzn-RequestId"] for r in responses}
    lines = [json.loads(line) for line in logs.read_text().splitlines()]
    assert len(lines) == 32
    by_request: dict[str, list[str]] = {}
    for line in lines:
        by_request.setdefault(line["function_request_id"], []).append(line["message"])
    assert set(by_request) == request_ids
    assert all(
        sorted(messages) == ["first line", "second line"] for messages in by_request.values()
    )

"""Execution environments over real HTTP: each function runs in processes of its own, as
Lambda runs it; a crash, an exit or a timeout costs one invocation, never the gateway."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.local.conftest import LocalGateway, running_test_gateway

INTERNAL_ERROR = {"message": "Internal server error"}


def assert_integration_failure(response: httpx.Response) -> None:
    assert response.status_code == 502, response.text
    assert response.json() == INTERNAL_ERROR
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def process_gone(pid: int) -> bool:
    """The process has ended (a zombie not yet reaped counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rpartition(b")")[2][1:2]
    except FileNotFoundError:
        return True
    return state in (b"Z", b"X")


def wait_until_gone(pids: set[int], within_s: float = 5.0) -> set[int]:
    """The pids still running after `within_s` (polled)."""
    deadline = time.monotonic() + within_s
    running = {pid for pid in pids if not process_gone(pid)}
    while running and time.monotonic() < deadline:
        time.sleep(0.02)
        running = {pid for pid in running if not process_gone(pid)}
    return running


def test_function_timeout_stops_its_environment(
    gw: LocalGateway, client: httpx.Client, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # The handler writes its marker when it runs to the end (and the environment is warm).
    finished = tmp_path / "finished"
    assert client.get(f"{gw.url}/overslept", params={"marker": str(finished)}).status_code == 200
    assert finished.read_text() == "still running"

    # overslept has a 1 s timeout; this invocation would write its marker after 1.5 s.
    marker = tmp_path / "too-late"
    started = time.monotonic()
    response = client.get(f"{gw.url}/overslept", params={"seconds": "1.5", "marker": str(marker)})
    assert_integration_failure(response)
    assert response.elapsed.total_seconds() < 1.45
    time.sleep(max(0.0, started + 2.0 - time.monotonic()))
    assert not marker.exists(), "the timed-out environment kept running"
    assert "Task timed out after 1.00 seconds" in capfd.readouterr().err

    # The next invocation gets a fresh environment.
    again = tmp_path / "again"
    assert client.get(f"{gw.url}/overslept", params={"marker": str(again)}).status_code == 200
    assert again.exists()


def test_os_exit_costs_one_invocation_and_the_next_gets_a_fresh_environment(
    gw: LocalGateway, client: httpx.Client
) -> None:
    before = client.get(f"{gw.url}/hard-exit")
    assert before.status_code == 200
    first_pid = before.json()["pid"]

    assert_integration_failure(client.get(f"{gw.url}/hard-exit", params={"exit": "1"}))
    assert wait_until_gone({first_pid}) == set()

    assert client.get(f"{gw.url}/open").status_code == 200  # the gateway keeps serving
    after = client.get(f"{gw.url}/hard-exit")
    assert after.status_code == 200
    assert after.json()["pid"] != first_pid


def test_result_lambda_cannot_serialise_returns_502(
    gw: LocalGateway, client: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    assert_integration_failure(client.get(f"{gw.url}/unmarshalable", params={"kind": "set"}))
    err = capfd.readouterr().err
    assert "Runtime.MarshalError: Unable to marshal response:" in err
    assert "Object of type set is not JSON serializable" in err
    assert client.get(f"{gw.url}/unmarshalable", params={"kind": "set"}).status_code == 502


def test_decimal_status_code_is_written_as_lambda_writes_it(
    gw: LocalGateway, client: httpx.Client
) -> None:
    # Lambda's Python runtime (awslambdaric's marshaller) writes a Decimal as its own digits
    # (simplejson RawJSON of str(value)): Decimal("200") goes out as 200, an integer status.
    response = client.get(f"{gw.url}/unmarshalable", params={"kind": "decimal"})
    assert response.status_code == 200, response.text
    assert response.text == "decimal status"


@pytest.mark.parametrize("path", ["/broken-import", "/missing-handler"])
def test_function_that_cannot_be_imported_fails_every_invocation_and_the_gateway_stays_up(
    gw: LocalGateway, client: httpx.Client, capfd: pytest.CaptureFixture[str], path: str
) -> None:
    for _ in range(3):
        assert_integration_failure(client.get(f"{gw.url}{path}"))
    # Every invocation tried a cold start of its own (and logged why it failed).
    assert capfd.readouterr().err.count("[ERROR] ") == 3
    assert client.get(f"{gw.url}/open").status_code == 200


def test_environment_variables_are_the_functions_own_at_invocation_time(
    gw: LocalGateway, client: httpx.Client
) -> None:
    greeter = client.get(f"{gw.url}/greeter").json()
    plain = client.get(f"{gw.url}/plain").json()
    assert greeter == {"greeting": "the greeter's own greeting", "function_name": "greeter"}
    # Neither the greeter's variable nor echo's GREETING reaches a function without one.
    assert plain == {"greeting": None, "function_name": "plain"}
    assert client.get(f"{gw.url}/open").json()["greeting"] == "hello from functions.yaml"


def test_slow_invocations_run_side_by_side(gw: LocalGateway, client: httpx.Client) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(lambda _: client.get(f"{gw.url}/nap", params={"seconds": "1"}), range(4))
        )
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 4
    assert all(r.json()["slept"] == 1.0 for r in responses)
    assert elapsed < 3.0, f"4 invocations of 1 s took {elapsed:.2f} s"
    assert len({r.json()["pid"] for r in responses}) >= 2


def test_under_concurrency_every_answer_belongs_to_its_own_request(
    gw: LocalGateway, client: httpx.Client
) -> None:
    def call(index: int) -> tuple[int, httpx.Response]:
        return index, client.get(f"{gw.url}/open", params={"n": str(index)})

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(200)))
    request_ids = set()
    for index, response in results:
        assert response.status_code == 200, response.text
        payload = response.json()
        request_id = response.headers["x-amzn-RequestId"]
        assert payload["event"]["queryStringParameters"] == {"n": str(index)}
        assert payload["event"]["requestContext"]["requestId"] == request_id
        assert payload["context"]["aws_request_id"] == request_id
        request_ids.add(request_id)
    assert len(request_ids) == 200


def test_stopping_the_gateway_stops_its_environments(client: httpx.Client) -> None:
    with running_test_gateway() as running:
        with ThreadPoolExecutor(2) as pool:
            responses = list(
                pool.map(
                    lambda _: client.get(f"{running.url}/nap", params={"seconds": "0.3"}), range(2)
                )
            )
        pids = {r.json()["pid"] for r in responses}
        pids.add(client.get(f"{running.url}/hard-exit").json()["pid"])
        assert not any(process_gone(pid) for pid in pids)
    assert wait_until_gone(pids) == set(), "sandboxes outlived their gateway"


def test_function_stdout_reaches_the_gateways_stdout(
    client: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    line = f"printed by the function {uuid.uuid4()}"
    with running_test_gateway() as running:
        response = client.get(f"{running.url}/prints", params={"line": line})
    assert response.status_code == 200
    assert f"{line}\n" in capfd.readouterr().out


def test_cold_start_does_not_count_against_the_function_timeout(
    gw: LocalGateway, client: httpx.Client
) -> None:
    # slow-init imports for 1 s and has a 0.5 s timeout. Lambda gives the Init phase up to
    # 10 s of its own; the timeout counts from the invocation, so a fast handler answers.
    for _ in range(2):
        response = client.get(f"{gw.url}/slow-init")
        assert response.status_code == 200, response.text


def test_a_crash_under_load_costs_its_own_invocation_and_no_other_runs_twice(
    gw: LocalGateway, client: httpx.Client, tmp_path: Path
) -> None:
    """A fast function's environment is sent invocations ahead; when one of them ends the
    process, the others run exactly once (on a fresh environment if need be)."""
    log = tmp_path / "tally.log"
    for warm_up in range(5):  # a warm environment, known to be fast
        client.get(f"{gw.url}/tally", params={"log": str(log), "n": f"warm-{warm_up}"})

    crashes = set(range(50, 500, 50))

    def call(n: int) -> httpx.Response:
        params = {"log": str(log), "n": str(n)}
        if n in crashes:
            params["exit"] = "1"
        return client.get(f"{gw.url}/tally", params=params)

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(call, range(500)))
    for n in crashes:
        assert_integration_failure(responses[n])
    others = [r for n, r in enumerate(responses) if n not in crashes]
    assert [r.status_code for r in others] == [200] * len(others)
    runs = [line for line in log.read_text().splitlines() if not line.startswith("warm-")]
    assert sorted(runs, key=int) == [str(n) for n in range(500) if n not in crashes]


def test_an_environment_over_its_memory_setting_is_stopped(
    gw: LocalGateway, client: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    # hog has 128 MB; 40 MB more than the interpreter fits, 300 MB does not.
    within = client.get(f"{gw.url}/hog", params={"mb": "40"})
    assert within.status_code == 200
    assert within.json() == {"held_mb": 40}
    assert_integration_failure(client.get(f"{gw.url}/hog", params={"mb": "300", "seconds": "3"}))
    assert "Runtime.OutOfMemory" in capfd.readouterr().err
    assert client.get(f"{gw.url}/hog", params={"mb": "1", "seconds": "0"}).status_code == 200

"""The local gateway's full chain against a bare uvicorn app, side by side, with wrk.

Full chain: gateway -> cached authorizer decision -> books function -> SQLite `GET /book`.
Baseline: a bare ASGI app on the same uvicorn settings that returns the same JSON bytes.
Reference: uvicorn calling the books handler inline, the least any chain through it costs.
wrk (Debian's): 2 threads, 32 connections, 10 s. Then the gateway's RSS over 200,000 more
requests. Writes the "gateway" section of bench/RESULTS.md.

    python bench/gateway.py            # or: make bench
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402

THREADS, CONNECTIONS, SECONDS = 2, 32, 10
MEMORY_REQUESTS = 200_000
PATH = "/prod/book?book_id=1"


@dataclass
class WrkRun:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float = 0.0  # the server's CPU time per request (steadier than rps on a busy machine)
    own_cpu_us: float = 0.0  # of which the server process itself (without its children)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, headers: dict[str, str]) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        try:
            response = httpx.get(url, headers=headers, timeout=5)
            if response.status_code == 200:
                return response.content
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.2)


def wrk(url: str, token: str, seconds: int = SECONDS, connections: int = CONNECTIONS) -> WrkRun:
    command = [
        "wrk",
        f"-t{min(THREADS, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"authorizationToken: Bearer {token}",
        url,
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if found:
        errors += sum(int(n) for n in found.groups())
    return WrkRun(requests, rps, _percentile(out, "50%"), _percentile(out, "99%"), errors)


def _percentile(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def process_tree(pid: int) -> list[int]:
    """`pid` and its child processes (the gateway's execution environments)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.extend(int(child) for child in (task / "children").read_text().split())
    return [pid, *children]


def _cpu_ticks(pid: int, waited_children: bool = False) -> int:
    """User and system clock ticks of `pid` (and of the children it has waited for)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its children so far (living ones, and those it has waited for)."""
    members = process_tree(pid)
    total = _cpu_ticks(pid, waited_children=True)
    total += sum(_cpu_ticks(member) for member in members[1:])
    return total / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds(pid: int) -> float:
    return _cpu_ticks(pid) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, url: str, token: str, seconds: int = SECONDS) -> WrkRun:
    before, own_before = cpu_seconds(pid), own_cpu_seconds(pid)
    run = wrk(url, token, seconds)
    requests = max(run.requests, 1)
    run.cpu_us = (cpu_seconds(pid) - before) / requests * 1e6
    run.own_cpu_us = (own_cpu_seconds(pid) - own_before) / requests * 1e6
    return run


def proc_status(pid: int, field: str) -> int:
    """A number from /proc/PID/status, e.g. VmRSS (KiB) or Threads."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def rss_kib(pid: int) -> int:
    """Resident memory of `pid` and its children."""
    return sum(proc_status(member, "VmRSS") for member in process_tree(pid))


def serve_bare(port: int, body_file: str) -> None:
    """The baseline: a bare ASGI app on uvicorn answering the same bytes."""
    import uvicorn

    body = Path(body_file).read_bytes()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_handler_only(port: int, db_path: str) -> None:
    """A reference, not a gateway: uvicorn calling the books handler inline on its event loop
    (no authorizer, no isolation, no gateway rules): the least any chain through the books
    function can cost."""
    import time as clock
    from urllib.parse import parse_qsl

    import uvicorn

    os.environ.update({"BOOKS_STORE": "sqlite", "BOOKS_DB_PATH": db_path})
    from books_api.functions.books import lambda_handler
    from books_api.local.lambda_runtime.context import LambdaContext
    from books_api.local.lambda_runtime.events import IncomingRequest, new_request_id, proxy_event

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        request = IncomingRequest(
            method=scope["method"],
            path=scope["path"].removeprefix("/prod"),
            query=parse_qsl(scope["query_string"].decode()),
            headers=[(k.decode(), v.decode()) for k, v in scope["headers"]],
            body=b"",
            source_ip="127.0.0.1",
            stage="prod",
            request_id=new_request_id(),
        )
        event = proxy_event(request, "/book", None, {"principalId": "bench"})
        context = LambdaContext("books", 256, request.request_id, clock.monotonic() + 10)
        result = lambda_handler(event, context)
        body = result["body"].encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send(
            {"type": "http.response.start", "status": result["statusCode"], "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `make system-tools`", file=sys.stderr)
        return 1
    from books_api.cli.signing import make_token

    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    secret = secrets.token_urlsafe(48)
    token = make_token("bench", "api_user", 3600, secret)
    headers = {"authorizationToken": f"Bearer {token}"}
    env = {**os.environ, "JWT_SECRET": secret, "BOOKS_API_HOME": str(work)}
    logs = open(work / "gateway.out", "wb")
    gateway_port, bare_port, inline_port = free_port(), free_port(), free_port()
    gateway = subprocess.Popen(
        [sys.executable, "-m", "books_api.cli", "serve", "--port", str(gateway_port),
         "--db", str(work / "books.db"), "--access-log", str(work / "access.log")],
        env=env, stdout=logs, stderr=logs,
    )  # fmt: skip
    bare = inline = None
    try:
        gateway_url = f"http://127.0.0.1:{gateway_port}{PATH}"
        body = wait_until_up(gateway_url, headers)
        (work / "body.json").write_bytes(body)
        bare = subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(bare_port), str(work / "body.json")],
            stdout=logs, stderr=logs,
        )  # fmt: skip
        bare_url = f"http://127.0.0.1:{bare_port}{PATH}"
        assert wait_until_up(bare_url, headers) == body
        inline = subprocess.Popen(
            [sys.executable, __file__, "--serve-handler-only", str(inline_port),
             str(work / "books.db")],
            stdout=logs, stderr=logs,
        )  # fmt: skip
        inline_url = f"http://127.0.0.1:{inline_port}{PATH}"
        assert wait_until_up(inline_url, headers) == body
        for url in (bare_url, inline_url, gateway_url):
            wrk(url, token, 2)  # warm-up
        baseline = measured(bare.pid, bare_url, token)
        handler_only = measured(inline.pid, inline_url, token)
        full = measured(gateway.pid, gateway_url, token)
        threads = proc_status(gateway.pid, "Threads")
        environments = len(process_tree(gateway.pid)) - 1
        single = wrk(gateway_url, token, connections=1)
        rss_before = rss_kib(gateway.pid)
        served = 0
        while served < MEMORY_REQUESTS:
            served += wrk(gateway_url, token).requests
        rss_after = rss_kib(gateway.pid)
    finally:
        for process in (gateway, bare, inline):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        logs.close()
    growth = (rss_after - rss_before) / rss_before * 100
    ratio = full.rps / baseline.rps * 100
    table = (
        "## gateway\n\n"
        f"`GET {PATH}` with a cached authorizer decision, wrk {THREADS} threads, "
        f"{CONNECTIONS} connections, {SECONDS} s, both on uvicorn with httptools and uvloop, "
        "one process each (the bare app with uvicorn's defaults; the gateway as "
        "`books-api serve` runs it, with its functions' execution environments in processes "
        "of their own: the gateway's CPU and memory below include them).\n\n"
        "| server | requests/s | p50 ms | p99 ms | server CPU µs/request | errors |\n"
        "|---|---|---|---|---|---|\n"
        f"| bare uvicorn app, same JSON | {baseline.rps:,.0f} | {baseline.p50_ms:.2f} | "
        f"{baseline.p99_ms:.2f} | {baseline.cpu_us:.0f} | {baseline.errors} |\n"
        f"| local gateway, full chain | {full.rps:,.0f} | {full.p50_ms:.2f} | "
        f"{full.p99_ms:.2f} | {full.cpu_us:.0f} | {full.errors} |\n"
        f"| reference: uvicorn calling the books handler inline (no authorizer, no isolation, "
        f"no gateway) | {handler_only.rps:,.0f} | {handler_only.p50_ms:.2f} | "
        f"{handler_only.p99_ms:.2f} | {handler_only.cpu_us:.0f} | {handler_only.errors} |\n\n"
        f"- gateway / bare: **{ratio:.0f} %** (target >= 50 %); the inline reference / bare: "
        f"{handler_only.rps / baseline.rps * 100:.0f} %\n"
        f"- gateway p99: **{full.p99_ms:.2f} ms** (target <= 5 ms); with one connection "
        f"(no queueing): p50 {single.p50_ms:.2f} ms, p99 {single.p99_ms:.2f} ms, "
        f"{single.rps:,.0f} requests/s\n"
        f"- gateway CPU per request: {full.own_cpu_us:.0f} µs in the gateway process, "
        f"{full.cpu_us - full.own_cpu_us:.0f} µs in the execution environments\n"
        f"- after the 32-connection run: {environments} execution environments (the authorizer's "
        f"and the books function's processes), {threads} threads in the gateway process\n"
        f"- gateway and environments' RSS over {served:,} more requests: "
        f"{rss_before / 1024:.1f} MiB -> "
        f"{rss_after / 1024:.1f} MiB, **{growth:+.1f} %** (target < 5 %)\n"
    )
    write_section("gateway", table)
    print(table)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--serve-handler-only":
        serve_handler_only(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(main())

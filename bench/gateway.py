"""The local gateway's full chain against the apps it is weighed with, side by side, with wrk.

Full chain: gateway -> cached authorizer decision -> books function -> SQLite `GET /book`.
Against, on the same uvicorn settings and returning the same JSON bytes: a Starlette app (what
a Python web app of this size usually runs on), a bare ASGI app (the physical floor), and
uvicorn calling the books handler inline (the least any chain through it costs).
wrk (Debian's): 2 threads, 32 connections, 10 s, then 1 connection. Then memory: after a
warm-up, three windows of 200,000 requests each, the gateway process's RSS on its own and
each execution environment's one by one. Writes the "gateway" section of bench/RESULTS.md.

    python bench/gateway.py            # or: make bench
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402

THREADS, CONNECTIONS, SECONDS = 2, 32, 10
MEMORY_REQUESTS = 200_000  # per memory window
MEMORY_WINDOWS = 3
WARM_UP_REQUESTS = 50_000  # before the first window: caches, arenas and pools reach size
MEMORY_GROWTH_TARGET = 5.0  # % per window, the gateway process
# Targets, each against rows of the same run.
INLINE_RATIO_TARGET = 0.9  # full chain requests/s / inline reference's
STARLETTE_RATIO_TARGET = 0.5  # full chain requests/s / Starlette app's
SINGLE_P99_TARGET = 1.5  # one connection: full chain p99 / Starlette app's
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


@dataclass
class Memory:
    """RSS (KiB) of the gateway process and of each execution environment, by pid."""

    gateway_kib: int
    environments: dict[int, tuple[str, int]]  # pid -> (function, KiB)


def function_of(pid: int) -> str:
    """The function an execution environment runs (its sandbox's last argument names it)."""
    spec = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")[-1]
    try:
        return str(json.loads(spec)["name"])
    except (ValueError, KeyError, TypeError):
        return "?"


def memory(pid: int) -> Memory:
    environments = {
        child: (function_of(child), proc_status(child, "VmRSS")) for child in process_tree(pid)[1:]
    }
    return Memory(proc_status(pid, "VmRSS"), environments)


@dataclass
class Window:
    requests: int
    before: Memory
    after: Memory

    @property
    def growth(self) -> float:
        return (self.after.gateway_kib - self.before.gateway_kib) / self.before.gateway_kib * 100

    def environments(self) -> str:
        """Each environment: its RSS before and after, or when it started or ended."""
        parts = []
        for pid in sorted(self.before.environments.keys() | self.after.environments.keys()):
            name, before = self.before.environments.get(pid, ("", 0))
            name, after = self.after.environments.get(pid, (name, 0))
            if not before:
                parts.append(
                    f"{name} (pid {pid}) started during the window: {after / 1024:.1f} MiB"
                )
            elif not after:
                parts.append(f"{name} (pid {pid}) ended during the window")
            else:
                parts.append(f"{name} {before / 1024:.1f} -> {after / 1024:.1f} MiB")
        return "; ".join(parts)


def serve_requests(url: str, token: str, count: int) -> int:
    served = 0
    while served < count:
        served += wrk(url, token).requests
    return served


def verdict(ok: bool) -> str:
    return "ok" if ok else "missed"


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


def serve_starlette(port: int, body_file: str) -> None:
    """A Starlette app with one route answering the same bytes."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = Path(body_file).read_bytes()

    async def book(request: Request) -> Response:
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/prod/book", book)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def books_inline(
    db_path: str,
) -> Callable[[str, list[tuple[str, str]], list[tuple[str, str]]], Any]:
    """The books handler called in this process on `GET /book`, its event built as the gateway
    builds it: (path, query, headers) -> the handler's result."""
    import time as clock

    os.environ.update({"BOOKS_STORE": "sqlite", "BOOKS_DB_PATH": db_path})
    from books_api.functions.books import lambda_handler
    from books_api.local.lambda_runtime.context import LambdaContext
    from books_api.local.lambda_runtime.events import IncomingRequest, new_request_id, proxy_event

    def invoke(path: str, query: list[tuple[str, str]], headers: list[tuple[str, str]]) -> Any:
        request = IncomingRequest(
            method="GET", path=path, query=query, headers=headers, body=b"",
            source_ip="127.0.0.1", stage="prod", request_id=new_request_id(),
        )  # fmt: skip
        event = proxy_event(request, "/book", None, {"principalId": "bench"})
        context = LambdaContext("books", 256, request.request_id, clock.monotonic() + 10)
        return lambda_handler(event, context)

    return invoke


def serve_handler_only(port: int, db_path: str) -> None:
    """A reference, not a gateway: uvicorn calling the books handler inline on its event loop
    (no authorizer, no isolation, no gateway rules): the least any chain through the books
    function can cost."""
    from urllib.parse import parse_qsl

    import uvicorn

    invoke = books_inline(db_path)

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        result = invoke(
            scope["path"].removeprefix("/prod"),
            parse_qsl(scope["query_string"].decode()),
            [(k.decode(), v.decode()) for k, v in scope["headers"]],
        )
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


def handler_cost(db_path: str, invocations: int = 20_000) -> None:
    """Prints the books handler's own cost (µs per `GET /book`, its event built as the gateway
    builds it, its log lines discarded): the most one books environment could serve is one
    invocation per that many µs of a core."""
    invoke = books_inline(db_path)
    query, headers = [("book_id", "1")], [("Host", "127.0.0.1"), ("authorizationToken", "x")]

    real, sys.stdout = sys.stdout, open(os.devnull, "w")  # the function's log lines
    try:
        for _ in range(1000):  # warm-up
            assert invoke("/book", query, headers)["statusCode"] == 200
        started = time.process_time()
        for _ in range(invocations):
            invoke("/book", query, headers)
        spent = time.process_time() - started
    finally:
        sys.stdout.close()
        sys.stdout = real
    print(f"{spent / invocations * 1e6:.1f}")


def start_app(
    flag: str, port: int, argument: Path, logs: Any, headers: dict[str, str], body: bytes
) -> tuple[subprocess.Popen[bytes], str]:
    """One of the apps weighed against the gateway, in a process of its own, up and checked."""
    process = subprocess.Popen(
        [sys.executable, __file__, flag, str(port), str(argument)], stdout=logs, stderr=logs
    )
    url = f"http://127.0.0.1:{port}{PATH}"
    assert wait_until_up(url, headers) == body, f"{flag} answers other bytes"
    return process, url


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
    gateway_port = free_port()
    gateway = subprocess.Popen(
        [sys.executable, "-m", "books_api.cli", "serve", "--port", str(gateway_port),
         "--db", str(work / "books.db"), "--access-log", str(work / "access.log")],
        env=env, stdout=logs, stderr=logs,
    )  # fmt: skip
    others: list[subprocess.Popen[bytes]] = []
    try:
        gateway_url = f"http://127.0.0.1:{gateway_port}{PATH}"
        body = wait_until_up(gateway_url, headers)
        (work / "body.json").write_bytes(body)
        bare, bare_url = start_app(
            "--serve-bare", free_port(), work / "body.json", logs, headers, body
        )
        others.append(bare)
        starlette, starlette_url = start_app(
            "--serve-starlette", free_port(), work / "body.json", logs, headers, body
        )
        others.append(starlette)
        inline, inline_url = start_app(
            "--serve-handler-only", free_port(), work / "books.db", logs, headers, body
        )
        others.append(inline)
        for url in (bare_url, starlette_url, inline_url, gateway_url):
            wrk(url, token, 2)  # warm-up
        baseline = measured(bare.pid, bare_url, token)
        framework = measured(starlette.pid, starlette_url, token)
        handler_only = measured(inline.pid, inline_url, token)
        full = measured(gateway.pid, gateway_url, token)
        threads = proc_status(gateway.pid, "Threads")
        single_starlette = wrk(starlette_url, token, connections=1)
        single_inline = wrk(inline_url, token, connections=1)
        single = wrk(gateway_url, token, connections=1)
        for process in others:  # the memory runs have the machine to themselves
            process.terminate()
            process.wait(timeout=10)
        others.clear()
        handler_us = float(
            subprocess.run(
                [sys.executable, __file__, "--handler-cost", str(work / "books.db")],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        warmed = serve_requests(gateway_url, token, WARM_UP_REQUESTS)
        windows = []
        for _ in range(MEMORY_WINDOWS):
            before = memory(gateway.pid)
            served = serve_requests(gateway_url, token, MEMORY_REQUESTS)
            windows.append(Window(served, before, memory(gateway.pid)))
    finally:
        for process in (gateway, *others):
            process.terminate()
            process.wait(timeout=10)
        logs.close()
    inline_ratio = full.rps / handler_only.rps
    starlette_ratio = full.rps / framework.rps
    single_ratio = single.p99_ms / single_starlette.p99_ms
    worst = max(window.growth for window in windows)
    ceiling = 1e6 / handler_us  # one books environment on one core, with nothing else to do

    def row(name: str, run: WrkRun) -> str:
        return (
            f"| {name} | {run.rps:,.0f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} | "
            f"{run.cpu_us:.0f} | {run.errors} |\n"
        )

    table = (
        "## gateway\n\n"
        f"`GET {PATH}` with a cached authorizer decision, wrk {THREADS} threads, "
        f"{CONNECTIONS} connections, {SECONDS} s, all on uvicorn with httptools and uvloop, "
        "one process each (the apps with uvicorn's defaults; the gateway as "
        "`books-api serve` runs it, with its functions' execution environments in processes "
        "of their own: the gateway's CPU below includes them).\n\n"
        "| server | requests/s | p50 ms | p99 ms | server CPU µs/request | errors |\n"
        "|---|---|---|---|---|---|\n"
        + row("local gateway, full chain", full)
        + row(
            "reference: uvicorn calling the books handler inline (no authorizer, no "
            "isolation, no gateway)",
            handler_only,
        )
        + row("Starlette app, one route, same JSON", framework)
        + row("physical floor: bare ASGI app, same JSON", baseline)
        + "\n"
        f"- full chain / inline reference: **{inline_ratio:.2f}x** (target >= "
        f"{INLINE_RATIO_TARGET}x: {verdict(inline_ratio >= INLINE_RATIO_TARGET)})\n"
        f"- full chain / Starlette app: **{starlette_ratio:.2f}x** (target >= "
        f"{STARLETTE_RATIO_TARGET}x: {verdict(starlette_ratio >= STARLETTE_RATIO_TARGET)}); "
        f"/ physical floor: {full.rps / baseline.rps:.2f}x\n"
        f"- one connection (no queueing), p99: full chain **{single.p99_ms:.2f} ms**, Starlette "
        f"app {single_starlette.p99_ms:.2f} ms: **{single_ratio:.2f}x** (target <= "
        f"{SINGLE_P99_TARGET}x: {verdict(single_ratio <= SINGLE_P99_TARGET)}); p50 "
        f"{single.p50_ms:.2f} ms and {single_starlette.p50_ms:.2f} ms, {single.rps:,.0f} and "
        f"{single_starlette.rps:,.0f} requests/s\n"
        f"- where the floor is: the books handler alone costs **{handler_us:.0f} µs** of a core "
        f"per `GET /book` (in process, its event built as the gateway builds it, its log "
        f"lines discarded), so one books environment serves at most {ceiling:,.0f} "
        f"requests/s, {ceiling / framework.rps:.2f}x the Starlette app, before any HTTP, "
        f"authorizer or gateway work; with one connection the inline reference (the handler "
        f"behind uvicorn, no process hop) has p50 {single_inline.p50_ms:.2f} ms and p99 "
        f"{single_inline.p99_ms:.2f} ms, {single_inline.p99_ms / single_starlette.p99_ms:.2f}x "
        f"the Starlette app's p99\n"
        f"- full chain CPU per request: {full.own_cpu_us:.0f} µs in the gateway process, "
        f"{full.cpu_us - full.own_cpu_us:.0f} µs in the execution environments; "
        f"{threads} threads in the gateway process\n"
        f"\nMemory, with the other apps stopped: a warm-up of {warmed:,} requests, then "
        f"{MEMORY_WINDOWS} windows in a row of {MEMORY_REQUESTS:,}+ requests (32 connections). "
        "The gateway process's RSS on its own (target: < "
        f"{MEMORY_GROWTH_TARGET:.0f} % growth in each window), each execution environment's "
        "one by one:\n\n"
        "| window | requests | gateway process RSS | growth | environments | "
        "each environment's RSS |\n"
        "|---|---|---|---|---|---|\n"
        + "".join(
            f"| {number} | {window.requests:,} | {window.before.gateway_kib / 1024:.1f} -> "
            f"{window.after.gateway_kib / 1024:.1f} MiB | **{window.growth:+.1f} %** | "
            f"{len(window.before.environments)} -> {len(window.after.environments)} | "
            f"{window.environments()} |\n"
            for number, window in enumerate(windows, 1)
        )
        + f"\n- worst window: **{worst:+.1f} %** "
        f"({verdict(worst < MEMORY_GROWTH_TARGET)})\n"
    )
    write_section("gateway", table)
    print(table)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--serve-starlette":
        serve_starlette(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "--handler-cost":
        handler_cost(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "--serve-handler-only":
        serve_handler_only(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(main())

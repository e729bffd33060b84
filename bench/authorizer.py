"""The authorizer's warm decisions and cold start, each beside its baseline in the same run.

Warm: one decision (verify + policy, `Authorizer.decide`) for HS256, RS256 and ES256 tokens
(JWKS keys cached), beside PyJWT's bare `jwt.decode` of the same token with the same key;
also the whole handler with its log line (written to /dev/null).
Cold: a fresh process that imports the function with `JWT_SECRET` and makes its first
decision, beside a fresh `python -c "import jwt"`, interleaved. Writes the "authorizer"
section of bench/RESULTS.md.

    python bench/authorizer.py            # or: make bench
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jwt  # noqa: E402
from aws_lambda_powertools import Logger  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

from bench.results import write_section  # noqa: E402
from books_api.auth.authorizer import Authorizer  # noqa: E402
from books_api.settings import AuthSettings  # noqa: E402

SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/GET/books"
TARGETS_US = {"HS256": 60.0, "RS256": 150.0, "ES256": 250.0}
COLD_RUNS = 25
ROUNDS = 5
COLD_TARGET = 1.5
FIRST_DECISION = """
import sys
import books_api.functions.authorizer as function
event = {"type": "TOKEN", "authorizationToken": sys.argv[1], "methodArn": sys.argv[2]}
assert function.lambda_handler(event, None)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
"""


def claims() -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "bench", "Role": "api_user", "iat": now, "exp": now + 3600}


@contextmanager
def jwks_site(document: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def per_call_us(functions: dict[str, Callable[[], object]], number: int) -> dict[str, float]:
    """Per call, in µs, the best of ROUNDS rounds (timeit's advice: the others measure the
    noise); the functions take turns in each round, so noise hits them alike."""
    best = dict.fromkeys(functions, float("inf"))
    for function in functions.values():
        function()
    for _ in range(ROUNDS):
        for name, function in functions.items():
            elapsed = timeit.Timer(function).timeit(number=number)
            best[name] = min(best[name], elapsed / number * 1e6)
    return best


def warm_case(alg: str, env: dict[str, str], token: str, key: Any, number: int) -> dict[str, Any]:
    devnull = open(os.devnull, "w")  # kept open for the logger's lifetime
    logger = Logger(service=f"bench-{alg}", stream=devnull)
    authorizer = Authorizer(AuthSettings.from_env(env), logger)
    event = {"type": "TOKEN", "authorizationToken": token, "methodArn": METHOD_ARN}
    assert authorizer.decide(event)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    timings = per_call_us(
        {
            "decide": lambda: authorizer.decide(event),
            "handler": lambda: authorizer.handle(event, None),
            "baseline": lambda: jwt.decode(token, key, algorithms=[alg]),
        },
        number,
    )
    return {"alg": alg, **timings}


def warm() -> list[dict[str, Any]]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks = {
        "keys": [
            {**jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "r"},
            {**jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "e"},
        ]
    }
    rows = [
        warm_case(
            "HS256",
            {"JWT_SECRET": SECRET},
            jwt.encode(claims(), SECRET, algorithm="HS256"),
            SECRET,
            5_000,
        )
    ]
    with jwks_site(json.dumps(jwks).encode()) as url:
        env = {"JWKS_URL": url}
        rs256 = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "r"})
        es256 = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "e"})
        rows.append(warm_case("RS256", env, rs256, rsa_key.public_key(), 2_000))
        rows.append(warm_case("ES256", env, es256, ec_key.public_key(), 1_000))
    return rows


def cold() -> dict[str, float]:
    python = sys.executable
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    # Both processes load cached bytecode, as a deployed function does from its package:
    # one untimed run of each fills a private bytecode cache first.
    skipped = ("JWT", "JWKS", "ROLE_", "PYTHONDONTWRITEBYTECODE")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(skipped)}
    base_env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="bench-authorizer-pyc-")
    commands = {
        "import jwt": ([python, "-c", "import jwt"], base_env),
        "authorizer": (
            [python, "-c", FIRST_DECISION, token, METHOD_ARN],
            {**base_env, "JWT_SECRET": SECRET, "PYTHONPATH": str(ROOT / "src")},
        ),
    }
    for command, env in commands.values():
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(COLD_RUNS):
        for name, (command, env) in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - started)
    result = {name: statistics.median(values) * 1000 for name, values in times.items()}
    result.update({f"{name} min": min(values) * 1000 for name, values in times.items()})
    return result


def report(rows: list[dict[str, Any]], start: dict[str, float]) -> str:
    lines = [
        "## authorizer",
        "",
        "Warm decision: `Authorizer.decide` (parse, verify, claims, policy for every permitted"
        " route), best of 5 interleaved rounds; JWKS keys cached. Baseline: PyJWT's"
        " `jwt.decode` of the same token with the same key (no claims policy, no IAM policy).",
        "",
        "| alg | decision µs | target µs | handler + log line µs | baseline `jwt.decode` µs |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        target = TARGETS_US[row["alg"]]
        verdict = "ok" if row["decide"] <= target else "MISSED"
        lines.append(
            f"| {row['alg']} | **{row['decide']:.1f}** ({verdict}) | {target:.0f} "
            f"| {row['handler']:.1f} | {row['baseline']:.1f} |"
        )
    ratio = start["authorizer"] / start["import jwt"]
    verdict = "ok" if ratio <= COLD_TARGET else "MISSED"
    lines += [
        "",
        f"Cold start: a fresh process, {COLD_RUNS} runs each, interleaved (median, min), both"
        " with cached bytecode.",
        "",
        "| process | median ms | min ms |",
        "|---|---|---|",
        f'| `python -c "import jwt"` | {start["import jwt"]:.1f} | {start["import jwt min"]:.1f} |',
        f"| import authorizer with `JWT_SECRET` + first decision | {start['authorizer']:.1f} "
        f"| {start['authorizer min']:.1f} |",
        "",
        f"- authorizer / bare `import jwt`: **{ratio:.2f}x** ({verdict}; target <= {COLD_TARGET}x)",
        _load_line(),
    ]
    return "\n".join(lines)


def _load_line() -> str:
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    note = " (above the core count: other work shared the machine)" if load > cores else ""
    return f"- load average when done: {load:.1f} on {cores} cores{note}"


def main() -> int:
    rows = warm()
    start = cold()
    markdown = report(rows, start)
    write_section("authorizer", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What Powertools' Tracer (the X-Ray SDK) adds to each Lambda zip and to each cold start.

Both functions are packaged by tools/package.py for this machine's platform and Python (the
arm64 zips cannot load here) and for arm64 / Python 3.12 (the deployed ones, sizes only). A
zip without tracing is the same zip less the X-Ray SDK's and wrapt's files.

Cold start, as in Lambda: a fresh process of a virtual environment holding only boto3 (what
the runtime provides), the zip unpacked on its path, `LAMBDA_TASK_ROOT` set, the function
imported and invoked once against AWS on moto_server (the books function reads a book from
DynamoDB; the authorizer fetches its secret from Secrets Manager, as deployed by default, or
its keys from a JWKS URL, the module's other key source). With tracing,
the trace header is set and a UDP socket stands in for the X-Ray daemon; without, the zip
lacks the SDK and POWERTOOLS_TRACE_DISABLED is true (the module's tracing_enabled = false).
Runs are interleaved. Writes the "tracing" section of bench/RESULTS.md.

    python bench/tracing.py            # or: make bench
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import venv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from tools.package import write_zip  # noqa: E402

from bench.results import write_section  # noqa: E402

RUNS = 15
TARGET = 0.15  # tracing may add at most 15 % to a cold start
TRACING_DISTRIBUTIONS = ("aws_xray_sdk", "wrapt")
REGION = "eu-west-1"
SECRET = "bench-tracing-signing-key-0123456789abcdef0123"
HANDLERS = {
    "books": "books_api.functions.books.lambda_handler",
    "authorizer": "books_api.functions.authorizer.lambda_handler",
}
# Cold-start cases: (label, function, key source of the authorizer).
CASES = (
    ("books (DynamoDB)", "books", None),
    ("authorizer (JWT_SECRET_ARN, the module's default)", "authorizer", "JWT_SECRET_ARN"),
    ("authorizer (JWKS_URL: no boto3 otherwise)", "authorizer", "JWKS_URL"),
)
DRIVER = """
import importlib, json, sys, time
started = time.perf_counter()
module_name, name = sys.argv[1].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), name)
imported = time.perf_counter()
class Context:
    function_name = "bench"; memory_limit_in_mb = 256; aws_request_id = "bench-request"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    function_version = "$LATEST"; log_group_name = "/aws/lambda/bench"; log_stream_name = "b"
    def get_remaining_time_in_millis(self): return 5000
event = json.loads(sys.argv[2])
try:
    result = handler(event, Context())
except Exception as error:
    result = {"error": str(error)}
done = time.perf_counter()
print(json.dumps({"init_ms": (imported - started) * 1000, "first_ms": (done - imported) * 1000,
                  "result": result, "xray": "aws_xray_sdk" in sys.modules}))
"""


def build(out: Path, arch: str, python: str) -> dict[str, Path]:
    command = [sys.executable, "-m", "tools.package", "--arch", arch, "--python", python]
    subprocess.run([*command, "--out", str(out)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return {name: out / f"{name}.zip" for name in HANDLERS}


def without_tracing(zip_path: Path, scratch: Path) -> Path:
    """The same zip less the files the tracing distributions' RECORDs list."""
    unpacked = scratch / f"{zip_path.stem}-full"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(unpacked)
        names = archive.namelist()
    dropped: set[str] = set()
    for name in names:
        top = name.split("/")[0]
        if top.endswith(".dist-info") and top.split("-")[0] in TRACING_DISTRIBUTIONS:
            if name.endswith("/RECORD"):
                lines = (unpacked / name).read_text("utf-8").splitlines()
                dropped |= {line.rsplit(",", 2)[0] for line in lines}
    entries = {name: unpacked / name for name in names if name not in dropped}
    assert not any(name.startswith("aws_xray_sdk/") for name in entries)
    target = scratch / f"{zip_path.stem}-untraced.zip"
    write_zip(target, entries)
    return target


def unpack(zip_path: Path, scratch: Path) -> Path:
    task = scratch / f"task-{zip_path.stem}"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    return task


def boto3_only_python(home: Path) -> Path:
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-q", f"boto3=={version('boto3')}"], check=True)
    return python


def moto_server() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)


def aws_environment(endpoint: str) -> dict[str, str]:
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
    }
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    dynamodb.create_table(
        TableName="Books_Table",
        KeySchema=[{"AttributeName": "book_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "book_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(
        TableName="Books_Table",
        Item={"book_id": {"S": "1"}, "name": {"S": "Dune"}, "version": {"N": "1"}},
    )
    secret = session.client("secretsmanager", endpoint_url=endpoint).create_secret(
        Name="books-api-jwt", SecretString=SECRET
    )
    return {**env, "JWT_SECRET_ARN": secret["ARN"], "BOOKS_STORE": "dynamodb"}


def events(rsa_key: Any) -> dict[str, dict[str, Any]]:
    claims = {"sub": "bench", "Role": "api_user", "exp": int(time.time()) + 3600}
    token = jwt.encode(claims, SECRET, "HS256")
    signed = jwt.encode(claims, rsa_key, "RS256", headers={"kid": "bench"})
    arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/books"
    return {
        "JWKS_URL": {"type": "TOKEN", "authorizationToken": f"Bearer {signed}", "methodArn": arn},
        "books": {
            "httpMethod": "GET", "resource": "/book", "path": "/book", "headers": {},
            "queryStringParameters": {"book_id": "1"}, "body": None,
            "isBase64Encoded": False, "requestContext": {"requestId": "r", "stage": "prod"},
        },
        "JWT_SECRET_ARN": {
            "type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": arn,
        },
    }  # fmt: skip


@contextmanager
def jwks_site(rsa_key: Any) -> Iterator[str]:
    """A JWKS document with the key's public half, on loopback."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    document = json.dumps({"keys": [{**jwk, "kid": "bench", "use": "sig"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def cold_starts(
    python: Path,
    tasks: dict[tuple[str, bool], Path],
    aws: dict[str, str],
    jwks_url: str,
    payloads: dict[str, dict[str, Any]],
    scratch: Path,
) -> dict[tuple[str, bool], dict[str, float]]:
    """Median process, init and first-invocation times per (case label, traced)."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.setblocking(False)
    keys = [(label, traced) for label, _, _ in CASES for traced in (False, True)]
    cases = {label: (function, source) for label, function, source in CASES}
    samples: dict[tuple[str, bool], list[dict[str, float]]] = {key: [] for key in keys}

    def run(key: tuple[str, bool]) -> dict[str, float]:
        label, traced = key
        function, source = cases[label]
        task = tasks[(function, traced)]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(task),
            "LAMBDA_TASK_ROOT": str(task),
            "POWERTOOLS_SERVICE_NAME": function,
            "BOOKS_TABLE": "Books_Table",
            **aws,
        }
        if source == "JWKS_URL":
            del env["JWT_SECRET_ARN"]
            env["JWKS_URL"] = jwks_url
        if traced:
            env["_X_AMZN_TRACE_ID"] = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
            env["AWS_XRAY_DAEMON_ADDRESS"] = f"127.0.0.1:{daemon.getsockname()[1]}"
        else:
            env["POWERTOOLS_TRACE_DISABLED"] = "true"
        event = payloads[source or function]
        command = [str(python), "-c", DRIVER, HANDLERS[function], json.dumps(event)]
        started = time.perf_counter()
        result = subprocess.run(command, env=env, cwd=scratch, capture_output=True, text=True)
        elapsed = (time.perf_counter() - started) * 1000
        assert result.returncode == 0, result.stderr
        output = json.loads(result.stdout.strip().splitlines()[-1])
        assert output["xray"] == traced, key
        answer = output["result"]
        assert answer.get("statusCode") == 200 or "policyDocument" in answer, (key, answer)
        return {"process_ms": elapsed, "init_ms": output["init_ms"], "first_ms": output["first_ms"]}

    for key in keys:  # compile bytecode once, as a warm disk would hold it
        run(key)
    for _ in range(RUNS):
        for key in keys:
            samples[key].append(run(key))
    while True:  # drain what the SDK sent
        try:
            daemon.recv(65536)
        except BlockingIOError:
            break
    daemon.close()
    return {
        key: {field: statistics.median(s[field] for s in runs) for field in runs[0]}
        for key, runs in samples.items()
    }


def report(
    sizes: dict[str, dict[str, int]], times: dict[tuple[str, bool], dict[str, float]]
) -> tuple[str, dict[str, float]]:
    here = f"{platform.machine()}, Python {platform.python_version()}"
    lines = [
        "## tracing",
        "",
        "What Powertools' Tracer (aws-xray-sdk 2.15 and wrapt, in the zips through the"
        " `tracer` extra; botocore is the runtime's) adds to each zip and to each cold start."
        f" Cold start: fresh process, boto3-only virtual environment, the zip unpacked,"
        f" `LAMBDA_TASK_ROOT` set, one invocation against moto_server; {RUNS} interleaved runs"
        " each, medians. Without tracing: the zip less the SDK, `POWERTOOLS_TRACE_DISABLED=true`.",
        "",
        "| zip | without tracing | with tracing | added |",
        "|---|---|---|---|",
    ]
    for label, row in sizes.items():
        added = row["with"] - row["without"]
        lines.append(
            f"| {label} | {row['without']:,} B | {row['with']:,} B "
            f"| +{added:,} B (+{added / row['without']:.0%}) |"
        )
    lines += [
        "",
        f"| cold start ({here}) | without tracing ms | with tracing ms | added | init: import ms"
        " (without / with) | first invocation ms (without / with) |",
        "|---|---|---|---|---|---|",
    ]
    added_share: dict[str, float] = {}
    for label, _, _ in CASES:
        off, on = times[(label, False)], times[(label, True)]
        share = on["process_ms"] / off["process_ms"] - 1
        added_share[label] = share
        verdict = "ok" if share <= TARGET else "over"
        lines.append(
            f"| {label} | {off['process_ms']:.1f} | {on['process_ms']:.1f} "
            f"| **{share:+.0%}** ({verdict}; target <= {TARGET:.0%}) "
            f"| {off['init_ms']:.1f} / {on['init_ms']:.1f} "
            f"| {off['first_ms']:.1f} / {on['first_ms']:.1f} |"
        )
    over = [f for f, share in added_share.items() if share > TARGET]
    if over:
        lines += [
            "",
            f"- tracing costs more than {TARGET:.0%} of the cold start of: {'; '.join(over)}."
            " The module's `tracing_enabled` (default true) turns it off everywhere: stage,"
            " functions (PassThrough) and code (POWERTOOLS_TRACE_DISABLED: the SDK is never"
            " imported).",
        ]
    else:
        lines += ["", f"- tracing stays within {TARGET:.0%} of every cold start."]
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    lines.append(f"- load average when done: {load:.1f} on {cores} cores")
    return "\n".join(lines), added_share


def main() -> int:
    native_arch = "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"
    native_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory(prefix="bench-tracing-") as scratch_name:
        scratch = Path(scratch_name)
        sizes: dict[str, dict[str, int]] = {}
        deployed = build(scratch / "arm64", "arm64", "3.12")
        native = build(scratch / "native", native_arch, native_python)
        for name, path in deployed.items():
            untraced = without_tracing(path, scratch / "arm64")
            sizes[f"{name}.zip (arm64, Python 3.12)"] = {
                "with": path.stat().st_size,
                "without": untraced.stat().st_size,
            }
        tasks: dict[tuple[str, bool], Path] = {}
        for name, path in native.items():
            untraced = without_tracing(path, scratch / "native")
            tasks[(name, True)] = unpack(path, scratch / "traced")
            tasks[(name, False)] = unpack(untraced, scratch / "untraced")
        python = boto3_only_python(scratch / "boto3-only")
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        server, endpoint = moto_server()
        try:
            with jwks_site(rsa_key) as jwks_url:
                aws = aws_environment(endpoint)
                times = cold_starts(python, tasks, aws, jwks_url, events(rsa_key), scratch)
        finally:
            server.terminate()
            server.wait(timeout=10)
    markdown, _ = report(sizes, times)
    write_section("tracing", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

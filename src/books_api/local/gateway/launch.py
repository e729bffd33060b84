"""Serve a gateway on uvicorn, in-process or under `--reload` (which needs an importable app
factory, so the configuration travels in one environment variable), on a socket bound
beforehand (`startup.listen`)."""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from books_api.local.gateway.access_log import AccessLog
from books_api.local.gateway.app import GatewayApp, build_gateway, create_app
from books_api.local.gateway.document import ApiSpec
from books_api.local.gateway.startup import check_functions
from books_api.local.gateway.throttle import DEFAULT_BURST, DEFAULT_RATE, TokenBucket
from books_api.local.lambda_runtime.function import LambdaFunction
from books_api.local.lambda_runtime.functions_file import DocumentError

CONFIG_VARIABLE = "BOOKS_API_GATEWAY_CONFIG"


@dataclass
class GatewayConfig:
    api: str
    functions: str
    environment: dict[str, dict[str, str]] = field(default_factory=dict)
    stage: str = "prod"
    access_log: str | None = None  # a file; None writes the access log to stdout
    throttle_rate: float = DEFAULT_RATE
    throttle_burst: int = DEFAULT_BURST
    extra_files: dict[str, str] = field(default_factory=dict)  # URL path -> JSON file served

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> GatewayConfig:
        return cls(**json.loads(text))


def build_app(config: GatewayConfig) -> GatewayApp:
    stream: TextIO = sys.stdout
    if config.access_log:
        stream = open(config.access_log, "a", encoding="utf-8")
    gateway = build_gateway(
        Path(config.api),
        Path(config.functions),
        environment=config.environment,
        access_log=AccessLog(stream),
        stage=config.stage,
        throttle=TokenBucket(config.throttle_rate, config.throttle_burst),
    )
    extra_routes = {path: Path(file).read_bytes for path, file in config.extra_files.items()}
    return create_app(gateway, extra_routes)


def app_from_environment() -> GatewayApp:
    """The uvicorn factory used by `--reload`: a document broken by an edit is one line, and
    the next change restarts the server."""
    try:
        return build_app(GatewayConfig.from_json(os.environ[CONFIG_VARIABLE]))
    except DocumentError as error:
        print(f"books-api: error: {error} (serving again when a file changes)", file=sys.stderr)
        raise SystemExit(1) from None


def check(config: GatewayConfig, spec: ApiSpec) -> None:
    """Run every function's cold start once (startup.StartupError for the first failure)."""
    functions = {
        key: LambdaFunction(fn, config.environment.get(fn.name))
        for key, fn in spec.functions.items()
    }
    check_functions(functions, Path(config.functions))


def serve(
    config: GatewayConfig,
    sock: socket.socket,
    reload: bool = False,
    reload_dirs: list[str] | None = None,
) -> None:
    """Serve on `sock`, already listening (see startup.listen), until interrupted."""
    import uvicorn
    from uvicorn.supervisors import ChangeReload

    host, port = sock.getsockname()[:2]
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        # The client address is the caller's; no proxy in front sets X-Forwarded-For.
        "proxy_headers": False,
        "http": http_protocol(),
    }
    if not reload:
        uvicorn.Server(uvicorn.Config(build_app(config), **options)).run(sockets=[sock])
        return
    os.environ[CONFIG_VARIABLE] = config.to_json()
    reloading = uvicorn.Config(
        "books_api.local.gateway.launch:app_from_environment",
        factory=True,
        reload=True,
        reload_dirs=reload_dirs,
        reload_includes=["*.py", "*.yaml", "*.yml", "*.json"],
        **options,
    )
    server = uvicorn.Server(reloading)
    ChangeReload(reloading, target=server.run, sockets=[sock]).run()


def http_protocol() -> Any:
    """The gateway's httptools protocol (header names as sent, one write per response) when
    httptools is installed (uvicorn[standard]); otherwise uvicorn's own choice, which hands
    the gateway header names in lower case."""
    try:
        from books_api.local.gateway.http_protocol import GatewayHttpProtocol
    except ImportError:
        return "auto"
    return GatewayHttpProtocol

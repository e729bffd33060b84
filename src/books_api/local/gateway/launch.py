"""Serve a gateway on uvicorn, in-process or under `--reload` (which needs an importable app
factory, so the configuration travels in one environment variable)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from books_api.local.gateway.access_log import AccessLog
from books_api.local.gateway.app import GatewayApp, build_gateway, create_app
from books_api.local.gateway.throttle import DEFAULT_BURST, DEFAULT_RATE, TokenBucket

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
    """The uvicorn factory used by `--reload`."""
    return build_app(GatewayConfig.from_json(os.environ[CONFIG_VARIABLE]))


def serve(
    config: GatewayConfig,
    host: str,
    port: int,
    reload: bool = False,
    reload_dirs: list[str] | None = None,
) -> None:
    import uvicorn

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
        uvicorn.run(build_app(config), **options)
        return
    os.environ[CONFIG_VARIABLE] = config.to_json()
    uvicorn.run(
        "books_api.local.gateway.launch:app_from_environment",
        factory=True,
        reload=True,
        reload_dirs=reload_dirs,
        reload_includes=["*.py", "*.yaml", "*.yml", "*.json"],
        **options,
    )


def http_protocol() -> Any:
    """uvicorn's httptools protocol sending each response in one write, when httptools is
    installed; otherwise uvicorn's own choice."""
    try:
        from books_api.local.gateway.one_write import OneWriteHttpToolsProtocol
    except ImportError:
        return "auto"
    return OneWriteHttpToolsProtocol

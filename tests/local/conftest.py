from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from books_api.local.access_log import AccessLog
from books_api.local.app import build_gateway, create_app
from books_api.local.gateway import Gateway
from books_api.local.launch import http_protocol
from books_api.local.throttle import TokenBucket
from tests.support.server import free_port

HERE = Path(__file__).parent
TEST_API = HERE / "api.yaml"
TEST_FUNCTIONS = HERE / "functions.yaml"


@dataclass
class LocalGateway:
    base: str  # http://127.0.0.1:PORT
    url: str  # the stage URL
    gateway: Gateway
    access_log: io.StringIO


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve on uvicorn as `books-api serve` does (one-write protocol, no proxy headers)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        http=http_protocol(),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_test_gateway(
    throttle: TokenBucket | None = None, environment: dict[str, dict[str, str]] | None = None
) -> Iterator[LocalGateway]:
    log = io.StringIO()
    gateway = build_gateway(
        TEST_API, TEST_FUNCTIONS, environment, access_log=AccessLog(log), throttle=throttle
    )
    with serve_in_thread(create_app(gateway)) as base:
        yield LocalGateway(base, f"{base}/prod", gateway, log)


@pytest.fixture(scope="module")
def gw() -> Iterator[LocalGateway]:
    """The test document's gateway on a real socket, fresh for each test module."""
    with running_test_gateway() as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http

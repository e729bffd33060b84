from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from books_api.local.gateway.access_log import AccessLog
from books_api.local.gateway.app import build_gateway, create_app
from books_api.local.gateway.stage import Gateway
from books_api.local.gateway.throttle import TokenBucket
from tests.support.server import serve_in_thread

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
def running_test_gateway(
    throttle: TokenBucket | None = None,
    environment: dict[str, dict[str, str]] | None = None,
    api: Path = TEST_API,
    functions: Path = TEST_FUNCTIONS,
) -> Iterator[LocalGateway]:
    log = io.StringIO()
    gateway = build_gateway(
        api, functions, environment, access_log=AccessLog(log), throttle=throttle
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


AUTHORIZERS_API = HERE / "authorizers.yaml"
AUTHORIZERS_FUNCTIONS = HERE / "authorizers_functions.yaml"
CLI = [sys.executable, "-m", "books_api.cli"]


@dataclass
class AuthorizersGateway(LocalGateway):
    keys: Path  # the directory `books-api keys generate` wrote the pool's key pair into


@pytest.fixture(scope="module")
def authz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthorizersGateway]:
    """authorizers.yaml's gateway: its user pool's JWKS made by `books-api keys generate`."""
    keys = tmp_path_factory.mktemp("pool")
    subprocess.run([*CLI, "keys", "generate", "--out", str(keys)], check=True, capture_output=True)
    functions = keys / "functions.yaml"
    shutil.copyfile(AUTHORIZERS_FUNCTIONS, functions)
    with running_test_gateway(api=AUTHORIZERS_API, functions=functions) as running:
        yield AuthorizersGateway(
            running.base, running.url, running.gateway, running.access_log, keys
        )

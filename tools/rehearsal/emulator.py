"""moto_server in a process of its own, on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import IO

START_TIMEOUT_S = 30
# Without the managed policies, attaching AmazonAPIGatewayPushToCloudWatchLogs is NoSuchEntity.
ENVIRONMENT = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


class EmulatorFailed(Exception):
    """moto_server did not start; the message says why."""


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    pid: int
    version: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def moto_server(log_path: Path) -> Iterator[Emulator]:
    """Start moto_server, yield where it listens, stop it (this process only) afterwards."""
    port = free_port()
    with log_path.open("w", encoding="utf-8") as log:
        process = _start(port, log)
        try:
            endpoint = f"http://127.0.0.1:{port}"
            _wait_until_ready(endpoint, process, log_path)
            yield Emulator(endpoint, process.pid, version("moto"))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _start(port: int, log: IO[str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return subprocess.Popen(
        command,
        env={**os.environ, **ENVIRONMENT},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_until_ready(endpoint: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise EmulatorFailed(f"moto_server exited with {process.returncode} (see {log_path})")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise EmulatorFailed(f"moto_server did not answer on {endpoint}") from None
            time.sleep(0.1)

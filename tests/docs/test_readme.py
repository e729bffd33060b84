"""The README as a script: its shell blocks run as printed, in order, as a newcomer runs them
from a fresh checkout (`make run` in one terminal, the rest in another), each exiting 0.

The checkout is a temporary directory of links to this one's files (so that the files the
README makes, keys and books.jsonl, land there), with `.venv` the test's own virtual
environment, and `BOOKS_API_HOME` a temporary directory. One bash process runs the
foreground blocks (`set -e -o pipefail`: a failing command ends it), so that variables such as
TOKEN and the activation carry from block to block as they do in a terminal; servers run in
the background from the same shell. The README's ports become free ports.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from books_api.cli.banner import STOP_LINE
from tests.docs.readme_blocks import (
    BACKGROUND,
    NEEDS_AWS,
    README,
    README_PORTS,
    ROOT,
    Block,
    localise,
    shell_blocks,
)
from tests.support.server import free_port

BLOCK_TIMEOUT_S = 60.0
SERVER_START_TIMEOUT_S = 60.0
# The install stamps exist once `make test` has run; `make run` must not reinstall packages
# into the venv the tests run from (-o: "do not remake").
MAKE_WRAPPER = (
    "make() { command make -o .venv/.run-installed -o .venv/.local-aws-installed "
    '-o .venv/.dev-installed "$@"; }\n'
)
# What each block must print, besides exiting 0 (keyed by a line of the block).
EXPECTED = {
    "books-api --version": [r"^books-api \S+ \(Python 3\.\d+\.\d+\); serves 'Books API' from "],
    "TOKEN=$(books-api token)": [
        r'"status":200,"data":\[\{"book_id":"1"',
        r'"status":201',
        r'"Book deleted successfully","DeletedItem":\{"book_id":"6"',
    ],
    "grep -i etag": [r'(?i)^etag: "1"', r'"status":200'],
    "NEXT=$(curl": [r'"next_token":"', r'"data":\[\{"book_id":"3".*"book_id":"4"'],
    "books-api import src/books_api/data/books.json": [
        r"Imported 0 books: 0 created, 0 replaced, 5 skipped \(id exists\), 0 invalid "
        r"\(of 5 records\)",
        r"Exported 5 books",
        r"Imported 5 books: 0 created, 5 replaced, 0 skipped",
    ],
    "books-api import books.jsonl --overwrite --store dynamodb": [
        r"Imported 5 books",
        r'"status":200,"data":\[\{"book_id":"1".*"price":11[,}]',
    ],
    'curl "http://127.0.0.1:3003/prod/hello?name=Ada"': [r'^\{"message": "Hello, Ada!"\}'],
    "READER=$(books-api token": [
        r'"status":200,"data":\[',
        r'"Message":"User is not authorized to access this resource"',
    ],
    "ROTATED=$(books-api token": [r'"status":200,"data":\['],
}
BANNERS = {
    "make run    #": [
        r"^Books API on http://127\.0\.0\.1:\d+/prod",
        r"^  curl -H 'authorizationToken: Bearer ",
        r"^Next, in another terminal: \. \S*\.venv/bin/activate ",
    ],
    "make run STORE=dynamodb": [
        r"data: DynamoDB table Books_Table, region us-east-1, endpoint http://127\.0\.0\.1:\d+"
    ],
    "books-api serve --api hello-api": [
        r"^Hello API on http://127\.0\.0\.1:\d+/prod",
        r"^  GET http://127\.0\.0\.1:\d+/prod/hello  \(none\)$",
    ],
    "books-api serve --jwks": [r"A token valid for one hour \(the private key beside"],
}


@dataclass
class Terminal:
    """One bash, fed one block at a time, as a reader types into a terminal."""

    checkout: Path
    process: subprocess.Popen[str]
    logs: Path
    count: int = 0
    servers: list[Path] = field(default_factory=list)

    def run(self, block: Block, text: str) -> str:
        """Run a foreground block; its output, or a failed assertion naming it."""
        self.count += 1
        script, output, done = (
            self.logs / f"{self.count}.{suffix}" for suffix in "sh out ok".split()
        )
        script.write_text(text)
        self._type(f"source {script} >{output} 2>&1 </dev/null; : >{done}\n")
        deadline = time.monotonic() + BLOCK_TIMEOUT_S
        while not done.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{block} failed or hung:\n{text}\n--- output:\n{_read(output)}")
            time.sleep(0.05)
        return output.read_text()

    def start(self, block: Block, text: str) -> str:
        """Start a background block (a server) and wait for its banner's last line."""
        self.count += 1
        script, output = self.logs / f"{self.count}.sh", self.logs / f"{self.count}.out"
        script.write_text(text)
        self._type(f"( source {script} ) >{output} 2>&1 </dev/null &\n")
        self.servers.append(output)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while STOP_LINE not in _read(output):
            if "error" in _read(output) or time.monotonic() > deadline:
                pytest.fail(f"{block} did not start:\n{text}\n--- output:\n{_read(output)}")
            time.sleep(0.1)
        return _read(output)

    def _type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line)
        self.process.stdin.flush()

    def close(self) -> None:
        """Ctrl+C for every server, as a reader ends the session, then the shell."""
        group = self.process.pid  # the session this test started for the shell
        for sig, wait_s in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            if _group_ends(group, wait_s):
                break
        self.process.wait(timeout=5)
        if self.process.stdin is not None:
            self.process.stdin.close()


def _group_ends(group: int, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def fresh_checkout(where: Path) -> Path:
    """This checkout's files, linked, as a clone would hold them after `make test`."""
    if sys.prefix == sys.base_prefix:
        pytest.fail("the README test runs from the project's virtual environment (make test)")
    where.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in (".git", ".venv", ".venv-checkov") or entry.name.endswith("_cache"):
            continue
        (where / entry.name).symlink_to(entry)
    (where / ".venv").symlink_to(sys.prefix)
    return where


def shell_environment(home: Path, ports: dict[int, int]) -> dict[str, str]:
    """A new terminal's: no venv on PATH, no authorizer variables, the README's default ports
    made the test's (PORT and MOTO_PORT are what the Makefile reads)."""
    from books_api.settings import AUTH_VARIABLES

    venv_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "BOOKS_API_HOME", "MAKEFLAGS", *AUTH_VARIABLES}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(
        PATH=path,
        BOOKS_API_HOME=str(home),
        PORT=str(ports[3000]),
        MOTO_PORT=str(ports[5000]),
    )
    return environment


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Terminal, dict[int, int]]]:
    ports = {port: free_port() for port in README_PORTS}
    checkout = fresh_checkout(tmp_path / "checkout")
    logs = tmp_path / "blocks"
    logs.mkdir()
    process = subprocess.Popen(
        ["bash", "--noprofile", "--norc"],
        cwd=checkout,
        env=shell_environment(tmp_path / "home", ports),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    shell = Terminal(checkout, process, logs)
    shell._type("set -e -o pipefail\n" + MAKE_WRAPPER)
    try:
        yield shell, ports
    finally:
        shell.close()


def _expectations(table: dict[str, list[str]], text: str) -> list[str]:
    return [pattern for key, patterns in table.items() if key in text for pattern in patterns]


def test_every_readme_command_runs_as_printed_in_order(
    terminal: tuple[Terminal, dict[int, int]],
) -> None:
    shell, ports = terminal
    blocks = shell_blocks(README.read_text("utf-8"))
    checked: set[str] = set()
    for block in blocks:
        if block.kind == NEEDS_AWS:
            continue
        text = localise(block.text, ports)
        table = BANNERS if block.kind == BACKGROUND else EXPECTED
        output = shell.start(block, text) if block.kind == BACKGROUND else shell.run(block, text)
        for pattern in _expectations(table, block.text):
            assert re.search(pattern, output, re.M), f"{block}: no {pattern!r} in:\n{output}"
        checked.update(key for key in table if key in block.text)
    # Every expectation met a block: a README edit cannot silently drop one.
    assert checked == set(EXPECTED) | set(BANNERS)
    # No traceback anywhere, servers included.
    for output in shell.servers:
        assert "Traceback" not in _read(output), _read(output)


def test_only_the_deployment_is_left_out() -> None:
    """The marker that skips a block is for commands that need an AWS account."""
    skipped = [b for b in shell_blocks(README.read_text("utf-8")) if b.kind == NEEDS_AWS]
    assert skipped
    for block in skipped:
        assert re.search(r"(^|\$\()(aws|terraform) ", block.text, re.M), f"{block} runs locally"


def test_the_readme_ports_are_localised_everywhere_they_are_used() -> None:
    ports = {port: 40000 + index for index, port in enumerate(README_PORTS)}
    for block in shell_blocks(README.read_text("utf-8")):
        if block.kind == NEEDS_AWS:
            continue
        localised = localise(block.text, ports)
        for port in README_PORTS:
            assert not re.search(rf"\b{port}\b", localised), f"{block} still uses {port}"

"""The README's shell blocks, in order, with the markers that tell how each one runs.

A ```sh block runs in the reader's second terminal, in order, unless the HTML comment just
before it says otherwise:

    <!-- readme-test: background -->              a server: started, left running, stopped at
                                                  the end (a newcomer gives it a terminal)
    <!-- readme-test: needs AWS credentials -->   not run (the deployment's commands)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

FOREGROUND = "foreground"
BACKGROUND = "background"
NEEDS_AWS = "needs AWS credentials"
MARKERS = (BACKGROUND, NEEDS_AWS)

_MARKER = re.compile(r"^\s*<!-- readme-test: (?P<marker>.+?) -->\s*$")
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<language>\S*)\s*$")

# The ports the README uses; the test runs each on a free port instead, so that it can run
# beside anything already listening on them.
README_PORTS = (3000, 3001, 3002, 3003, 5000)


@dataclass(frozen=True)
class Block:
    line: int  # where the fence opens, 1-based
    kind: str  # FOREGROUND, BACKGROUND or NEEDS_AWS
    text: str

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.kind})"


def shell_blocks(readme: str) -> list[Block]:
    """Every ```sh block, with the kind its marker gives it (ValueError for an unknown one)."""
    blocks: list[Block] = []
    lines = readme.splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        closing = index + 1
        while lines[closing].strip() != "```":
            closing += 1
        if fence["language"] == "sh":
            indent = len(fence["indent"])
            body = "\n".join(line[indent:] for line in lines[index + 1 : closing]) + "\n"
            blocks.append(Block(index + 1, _kind(lines, index), body))
        index = closing + 1
    return blocks


def _kind(lines: list[str], fence_index: int) -> str:
    marker = _MARKER.match(lines[fence_index - 1]) if fence_index else None
    if marker is None:
        return FOREGROUND
    if marker["marker"] not in MARKERS:
        raise ValueError(f"README.md:{fence_index}: unknown marker {marker['marker']!r}")
    return str(marker["marker"])


def localise(text: str, ports: dict[int, int]) -> str:
    """The block with each README port replaced by the test's (in URLs, --port, -p, PORT=)."""
    for readme_port, port in ports.items():
        text = re.sub(rf"(127\.0\.0\.1:|--port |-p |PORT=){readme_port}\b", rf"\g<1>{port}", text)
    return text

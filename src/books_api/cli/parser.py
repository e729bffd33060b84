"""The argument parser: its mistakes are one line like every other CLI error, and `--version`
names the package, the Python and the API served by default."""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Any, NoReturn

PROGRAM = "books-api"


def error_line(message: str) -> str:
    return f"{PROGRAM}: error: {message}"


class CliParser(argparse.ArgumentParser):
    """argparse, except that a mistake prints one line (no usage block) and exits 2."""

    def error(self, message: str) -> NoReturn:
        print(error_line(f"{message} (see: {self.prog} --help)"), file=sys.stderr)
        sys.exit(2)


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; give a number from 1 to 65535")
    return port


class VersionAction(argparse.Action):
    """`--version`: computed when asked for (it reads the default document's title)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version, the Python and the API served by default")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(version_line())
        parser.exit()


def version_line() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from books_api.local.gateway.document import default_paths
    from books_api.local.lambda_runtime.functions_file import DocumentError, read_yaml

    try:
        package = version("books-api")
    except PackageNotFoundError:
        package = "(not installed)"
    document, _ = default_paths()
    try:
        info = read_yaml(document).get("info") or {}
        api = f"serves {str(info.get('title', 'an untitled API'))!r} from {document}"
    except DocumentError:
        api = f"no document at {document}"
    return f"{PROGRAM} {package} (Python {platform.python_version()}); {api}"

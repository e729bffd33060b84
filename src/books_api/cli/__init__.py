"""`books-api`: serve the API locally, make tokens, and manage data."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from books_api.cli import data, generate_event, invoke, keys, serve, token
from books_api.cli.errors import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="books-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, token, data, keys, invoke, generate_event):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except CliError as error:
        print(f"books-api: error: {error}", file=sys.stderr)
        return 2
    return result

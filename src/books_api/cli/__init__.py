"""`books-api`: serve the API locally, make tokens, and manage data."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from books_api.cli import data, generate_event, invoke, keys, serve, token
from books_api.cli.errors import CliError
from books_api.cli.parser import PROGRAM, CliParser, VersionAction, error_line
from books_api.core.errors import StoreUnavailable


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(prog=PROGRAM, description=__doc__)
    parser.add_argument("--version", action=VersionAction)
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
        print(error_line(str(error)), file=sys.stderr)
        return 2
    except StoreUnavailable as error:
        where = getattr(args, "endpoint_url", None) or "DynamoDB"
        fix = "is it running? check --endpoint-url, the region and the credentials"
        print(error_line(f"{where}: {error}: {fix}"), file=sys.stderr)
        return 2
    return result

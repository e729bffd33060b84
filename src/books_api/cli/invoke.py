"""`books-api invoke NAME`: run one function of the functions file once, as Lambda would.

The function runs in an execution environment of its own (its environment variables,
timeout, memory and a cold start), as under `serve`. Its result goes to stdout as JSON; its
log, framed by Lambda's START, END and REPORT lines, to stderr. A failed invocation prints
Lambda's error object and exits with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from books_api.cli.errors import CliError
from books_api.cli.stores import add_store_options

FUNCTION_FAILED = 1
MARGIN_S = 1.0  # the function's own timeout ends it first; this only guards against a hang


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "invoke", help="run one function of the functions file once with an event"
    )
    parser.add_argument("name", metavar="NAME", help="function name (or its key in the file)")
    parser.add_argument(
        "--event",
        default=None,
        metavar="FILE",
        help="the event as JSON; - reads stdin (default {})",
    )
    parser.add_argument(
        "--functions",
        type=Path,
        default=None,
        help="functions file (default: openapi/functions.yaml)",
    )
    add_store_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from books_api.local.lambda_runtime.environments import INIT_TIMEOUT_S, InvocationFailed
    from books_api.local.lambda_runtime.function import LambdaFunction, add_code_roots
    from books_api.local.lambda_runtime.report import (
        InvocationReport,
        end_line,
        report_line,
        start_line,
    )

    functions_path, spec = _function(args)
    event = read_event(args.event)
    add_code_roots(Path.cwd(), functions_path.parent)
    function = LambdaFunction(spec, local_environment(args, spec.name), max_concurrency=1)
    reports: list[InvocationReport] = []
    function.environments.stdout = sys.stderr.fileno()  # the function's log, not its result
    function.environments.on_report = reports.append
    request_id = str(uuid.uuid4())
    print(start_line(request_id), file=sys.stderr, flush=True)
    wait_s = INIT_TIMEOUT_S + spec.timeout_s + MARGIN_S
    try:
        result: Any = asyncio.run(_invoke_once(function, event, wait_s, request_id))
        status = 0
    except InvocationFailed as failed:
        result, status = failed.error, FUNCTION_FAILED
    print(end_line(request_id), file=sys.stderr)
    for report in reports:
        print(report_line(report, spec.memory_mb), file=sys.stderr, flush=True)
    print(json.dumps(result))
    return status


async def _invoke_once(function: Any, event: Any, wait_s: float, request_id: str) -> Any:
    try:
        return await function.invoke(event, wait_s, request_id)
    finally:
        function.close()


def _function(args: argparse.Namespace) -> tuple[Path, Any]:
    from books_api.local.gateway.document import default_paths
    from books_api.local.lambda_runtime.functions_file import DocumentError, load_functions

    path = (args.functions or default_paths()[1]).resolve()
    if not path.is_file():
        raise CliError(f"--functions {path}: no such file")
    try:
        specs = load_functions(path)
    except DocumentError as error:
        raise CliError(f"--functions {path}: {error}") from None
    for key, spec in specs.items():
        if args.name in (spec.name, key):
            return path, spec
    names = ", ".join(sorted(spec.name for spec in specs.values()))
    raise CliError(f"{path} has no function {args.name!r}; it has: {names}")


def read_event(source: str | None) -> Any:
    """The event from a file, from stdin (`-`), or `{}`."""
    if source is None:
        return {}
    where = "stdin" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"--event {where}: cannot read it ({error})") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise CliError(f"--event {where}: not JSON ({error})") from None


def local_environment(args: argparse.Namespace, name: str) -> dict[str, str]:
    """The variables `serve` gives the Books API's own functions: the chosen store for books
    (a new SQLite file starts with the article's books), the local key for the authorizer."""
    if name == "books":
        from books_api.cli.stores import books_environment, prepare_store

        prepare_store(args)
        return books_environment(args)
    if name == "authorizer":
        from books_api.cli.home import local_secret
        from books_api.cli.keys import local_authorizer_environment

        return local_authorizer_environment(local_secret(), None, "127.0.0.1", 0)
    return {}

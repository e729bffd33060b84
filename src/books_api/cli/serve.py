"""`books-api serve`: the local API Gateway on uvicorn, over the embedded SQLite store.

Everything is checked before anything but an error is printed: the arguments, the document
and functions file, the authorizer's settings, the port (bound first), the store and every
function's cold start. Then one banner.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from books_api.cli.banner import AUTHORIZER_HANDLER, BooksExtras, banner, is_books_api
from books_api.cli.errors import CliError
from books_api.cli.home import local_secret
from books_api.cli.parser import port_number
from books_api.cli.stores import add_store_options, books_environment, prepare_store
from books_api.local.gateway.document import ApiSpec

STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")  # what API Gateway accepts


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="serve the API locally (http://HOST:PORT/STAGE)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0: all)"
    )
    parser.add_argument(
        "--port", type=port_number, default=3000, help="TCP port, 1 to 65535 (default 3000)"
    )
    parser.add_argument(
        "--db", type=Path, default=None, help="SQLite file (default: $BOOKS_API_HOME/books.db)"
    )
    parser.add_argument(
        "--stage", default="prod", help="stage name, the first path segment (default prod)"
    )
    parser.add_argument(
        "--api", type=Path, default=None, help="OpenAPI document (default: openapi/books.yaml)"
    )
    parser.add_argument(
        "--functions",
        type=Path,
        default=None,
        help="functions file beside the document (default: openapi/functions.yaml)",
    )
    parser.add_argument("--reload", action="store_true", help="restart when code changes")
    parser.add_argument(
        "--access-log", type=Path, default=None, help="stage access log file (default: stdout)"
    )
    parser.add_argument(
        "--throttle-rate", type=float, default=10_000.0, help="stage rate limit, requests/s"
    )
    parser.add_argument("--throttle-burst", type=int, default=5_000, help="stage burst limit")
    parser.add_argument(
        "--jwks", type=Path, default=None, help="verify tokens with this JWKS file (and serve it)"
    )
    add_store_options(parser, with_db=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from books_api.local.gateway.startup import StartupError

    try:
        return _serve(args)
    except StartupError as error:
        raise CliError(str(error)) from None


def _serve(args: argparse.Namespace) -> int:
    from books_api.cli.keys import JWKS_PATH, example_token, local_authorizer_environment
    from books_api.local.gateway.document import default_paths
    from books_api.local.gateway.launch import GatewayConfig, check, serve
    from books_api.local.gateway.startup import listen, load_spec

    if args.throttle_rate <= 0 or args.throttle_burst < 1:
        raise CliError("--throttle-rate must be above 0 and --throttle-burst at least 1")
    if not STAGE_NAME.fullmatch(args.stage):
        raise CliError(
            f"--stage {args.stage!r}: a stage name is 1 to 128 letters, digits, - or _ (e.g. prod)"
        )
    if args.access_log is not None:
        _check_writable(args.access_log)
    default_api, default_functions = default_paths()
    api_path = (args.api or default_api).resolve()
    functions_path = (args.functions or default_functions).resolve()
    spec = load_spec(api_path, functions_path)
    secret = local_secret()
    environment = {
        "books": books_environment(args),
        "authorizer": local_authorizer_environment(secret, args.jwks, args.host, args.port),
    }
    check_authorizer_settings(spec, environment)
    sock = listen(args.host, args.port)
    books = None
    if is_books_api(spec):
        authorizer_environment = environment["authorizer"]
        signable = args.jwks is not None or authorizer_environment.get("JWT_SECRET") == secret
        books = BooksExtras(
            data_location=prepare_store(args),
            token=example_token(secret, args.jwks) if signable else None,
            key_source=_key_source(authorizer_environment, args.jwks),
        )
    config = GatewayConfig(
        api=str(api_path),
        functions=str(functions_path),
        environment=environment,
        stage=args.stage,
        access_log=str(args.access_log.resolve()) if args.access_log else None,
        throttle_rate=args.throttle_rate,
        throttle_burst=args.throttle_burst,
        extra_files={JWKS_PATH: str(args.jwks.resolve())} if args.jwks else {},
    )
    check(config, spec)
    origin = f"http://{_url_host(args.host)}:{args.port}"
    print(banner(spec, origin, args.stage, books), end="", file=sys.stderr, flush=True)
    reload_dirs = [str(Path.cwd()), str(api_path.parent), str(functions_path.parent)]
    serve(config, sock, reload=args.reload, reload_dirs=sorted(set(reload_dirs)))
    return 0


def check_authorizer_settings(spec: ApiSpec, environment: dict[str, dict[str, str]]) -> None:
    """The Books authorizer reads its settings at cold start and, when it cannot use them,
    answers 401 to every request; `serve` refuses to start instead, naming the variable."""
    import logging

    from aws_lambda_powertools import Logger

    from books_api.auth.authorizer import Authorizer
    from books_api.settings import AuthSettings

    for function in spec.functions.values():
        if function.handler != AUTHORIZER_HANDLER:
            continue
        variables = {**function.environment, **environment.get(function.name, {})}
        quiet = Logger(service="serve-check", logger_handler=logging.NullHandler())
        problem = Authorizer(AuthSettings.from_env(variables), quiet).problem
        if problem is None:
            continue
        fix = "change it in your shell (README: Authorizer configuration) and serve again"
        if "JWT secret" in problem and "JWT_SECRET" in variables:
            fix = "set JWT_SECRET to 32 bytes or more, or unset it (serve then makes one)"
        raise CliError(f"the {function.name} function refuses its settings: {problem}; {fix}")


def _check_writable(path: Path) -> None:
    try:
        path.open("a", encoding="utf-8").close()
    except OSError as error:
        raise CliError(
            f"--access-log {path}: cannot be written ({error.strerror or error}); "
            "give a file in a directory you can write"
        ) from None


def _key_source(variables: dict[str, str], jwks: Path | None) -> str:
    if jwks is not None:
        return f"the private key beside {jwks}"
    for name in ("JWT_SECRET_ARN", "JWT_SECRET_PARAMETER", "JWKS_URL"):
        if variables.get(name):
            return name
    return "JWT_SECRET" if os.environ.get("JWT_SECRET") else "the local secret"


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host

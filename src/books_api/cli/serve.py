"""`books-api serve`: the local API Gateway on uvicorn, over the embedded SQLite store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from books_api.cli.errors import CliError
from books_api.cli.home import local_secret
from books_api.cli.stores import add_store_options, books_environment, prepare_store


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="serve the API locally (http://HOST:PORT/prod)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument(
        "--db", type=Path, default=None, help="SQLite file (default: $BOOKS_API_HOME/books.db)"
    )
    parser.add_argument("--stage", default="prod")
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
    from books_api.cli.keys import JWKS_PATH, example_token, local_authorizer_environment
    from books_api.local.gateway.document import default_paths
    from books_api.local.gateway.launch import GatewayConfig, serve

    data_location = prepare_store(args)
    secret = local_secret()
    default_api, default_functions = default_paths()
    api_path = (args.api or default_api).resolve()
    functions_path = (args.functions or default_functions).resolve()
    if args.throttle_rate <= 0 or args.throttle_burst < 1:
        raise CliError("--throttle-rate must be above 0 and --throttle-burst at least 1")
    for path in (api_path, functions_path):
        if not path.is_file():
            raise CliError(f"{path} does not exist")
    config = GatewayConfig(
        api=str(api_path),
        functions=str(functions_path),
        environment={
            "books": books_environment(args),
            "authorizer": local_authorizer_environment(secret, args.jwks, args.host, args.port),
        },
        stage=args.stage,
        access_log=str(args.access_log.resolve()) if args.access_log else None,
        throttle_rate=args.throttle_rate,
        throttle_burst=args.throttle_burst,
        extra_files={JWKS_PATH: str(args.jwks.resolve())} if args.jwks else {},
    )
    base = f"http://{args.host}:{args.port}/{args.stage}"
    example = example_token(secret, args.jwks)
    print(
        f"Books API on {base}  (data: {data_location})\n"
        f"A token valid for one hour:\n  {example}\n"
        f"Try:\n  curl -H 'authorizationToken: Bearer {example}' {base}/books\n",
        file=sys.stderr,
        flush=True,
    )
    print(f"API docs: http://{args.host}:{args.port}/docs\n", file=sys.stderr, flush=True)
    reload_dirs = [str(Path.cwd()), str(api_path.parent), str(functions_path.parent)]
    serve(config, args.host, args.port, reload=args.reload, reload_dirs=sorted(set(reload_dirs)))
    return 0

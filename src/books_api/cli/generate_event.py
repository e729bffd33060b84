"""`books-api generate-event apigateway aws-proxy|authorizer-token|authorizer-request`: print
an event as the local gateway would send it (the same builder), to edit or pipe into
`books-api invoke`."""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from books_api.cli.errors import CliError

LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 3000  # serve's default
EVENTS = {
    "aws-proxy": "a Lambda proxy integration's event (v1)",
    "authorizer-token": "a TOKEN authorizer's event",
    "authorizer-request": "a REQUEST authorizer's event",
}


def register(commands: Any) -> None:
    parser = commands.add_parser("generate-event", help="print an event the gateway would send")
    services = parser.add_subparsers(dest="service", required=True, metavar="SERVICE")
    apigateway = services.add_parser("apigateway", help="API Gateway (REST API) events")
    kinds = apigateway.add_subparsers(dest="event", required=True, metavar="EVENT")
    for kind, description in EVENTS.items():
        event = kinds.add_parser(kind, help=description)
        _add_request_options(event, with_body=kind == "aws-proxy")
        if kind == "authorizer-token":
            event.add_argument(
                "--token", default=None, help="authorizationToken (default: a local token)"
            )
        event.set_defaults(run=run)


def _add_request_options(parser: argparse.ArgumentParser, with_body: bool) -> None:
    parser.add_argument("--method", default="GET", help="HTTP method (default GET)")
    parser.add_argument("--path", default="/books", help="path, may hold ?query (default /books)")
    parser.add_argument("--resource", default=None, help="resource template (default: the path)")
    parser.add_argument("--stage", default="prod", help="stage (default prod)")
    parser.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="repeatable"
    )
    parser.add_argument(
        "--query", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    parser.add_argument(
        "--stage-variable", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    if with_body:
        parser.add_argument("--body", default=None, help="request body (text)")


def run(args: argparse.Namespace) -> int:
    from books_api.local.lambda_runtime import events

    request = incoming_request(args)
    resource, path_parameters = _resource(args, request.path)
    stage_variables = dict(_pairs(args.stage_variable, "=", "--stage-variable"))
    if args.event == "aws-proxy":
        event = events.proxy_event(request, resource, path_parameters, None, (), stage_variables)
    elif args.event == "authorizer-request":
        event = events.request_event(request, resource, path_parameters, stage_variables)
    else:
        event = events.token_event(request, args.token or _local_token())
    print(json.dumps(event, indent=2))
    return 0


def incoming_request(args: argparse.Namespace) -> Any:
    """The request as the gateway sees it, with the headers a client and the gateway add."""
    from books_api.local.lambda_runtime.events import IncomingRequest, now_ms

    parts = urlsplit(args.path)
    if not parts.path.startswith("/") or parts.scheme or parts.netloc:
        raise CliError(f"--path {args.path!r}: expected a path such as /books or /book?book_id=1")
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += _pairs(args.query, "=", "--query")
    given = _pairs(args.header, ":", "--header")
    defaults = [
        ("Accept", "*/*"),
        ("Host", f"{LOCAL_HOST}:{LOCAL_PORT}"),
        ("User-Agent", "books-api generate-event"),
        ("X-Forwarded-For", LOCAL_HOST),
        ("X-Forwarded-Port", str(LOCAL_PORT)),
        ("X-Forwarded-Proto", "http"),
    ]
    names = {name.lower() for name, _ in given}
    headers = [(k, v) for k, v in defaults if k.lower() not in names] + given
    body = getattr(args, "body", None)
    return IncomingRequest(
        method=args.method.upper(),
        path=parts.path,
        query=query,
        headers=headers,
        body=(body or "").encode("utf-8"),
        source_ip=LOCAL_HOST,
        stage=args.stage,
        host=LOCAL_HOST,
        request_id=str(uuid.uuid4()),
        request_time_epoch_ms=now_ms(),
    )


def _resource(args: argparse.Namespace, path: str) -> tuple[str, dict[str, str] | None]:
    """The resource and the path parameters the gateway's router finds in the path."""
    from books_api.local.gateway.document import Operation
    from books_api.local.gateway.router import Router

    resource = args.resource or path
    method = args.method.upper()
    match = Router([Operation(method, resource, None, 0, None)]).match(method, path)
    if match is None:
        raise CliError(f"--path {path!r} does not match --resource {resource!r}")
    return resource, match.path_parameters


def _pairs(texts: list[str], separator: str, option: str) -> list[tuple[str, str]]:
    pairs = []
    for text in texts:
        name, found, value = text.partition(separator)
        if not found or not name.strip():
            raise CliError(f"{option} {text!r}: expected NAME{separator}VALUE")
        pairs.append((name.strip(), value.strip() if separator == ":" else value))
    return pairs


def _local_token() -> str:
    """A one-hour api_user token that the local authorizer accepts."""
    from books_api.cli.home import local_secret
    from books_api.cli.signing import make_token

    return make_token("local-user", "api_user", 3600, local_secret())

"""Starlette adapter: HTTP <-> the gateway core, plus building and serving the gateway."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from books_api.local import document
from books_api.local.access_log import AccessLog
from books_api.local.events import IncomingRequest, new_request_id, now_ms
from books_api.local.gateway import Gateway
from books_api.local.runtime import LambdaFunction

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def build_gateway(
    api_path: Path,
    functions_path: Path,
    environment: dict[str, dict[str, str]] | None = None,
    access_log: AccessLog | None = None,
    stage: str = "prod",
) -> Gateway:
    """A gateway for the document; `environment` overrides variables per function name."""
    spec = document.load(api_path, functions_path)
    overrides = environment or {}
    functions = {
        key: LambdaFunction(fn, overrides.get(fn.name)) for key, fn in spec.functions.items()
    }
    return Gateway(spec, functions, access_log, stage)


def create_app(gateway: Gateway) -> Starlette:
    prefix = f"/{gateway.stage}"

    async def endpoint(request: Request) -> Response:
        path = request.url.path
        if path != prefix and not path.startswith(prefix + "/"):
            body = b'{"message":"Missing Authentication Token"}'
            return Response(
                body,
                403,
                {
                    "x-amzn-ErrorType": "MissingAuthenticationTokenException",
                    "Content-Type": "application/json",
                },
            )
        incoming = IncomingRequest(
            method=request.method,
            path=path[len(prefix) :] or "/",
            query=list(request.query_params.multi_items()),
            headers=[
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]
            ],
            body=await request.body(),
            source_ip=request.client.host if request.client else "127.0.0.1",
            stage=gateway.stage,
            host=request.headers.get("host", "127.0.0.1").split(":")[0],
            request_id=new_request_id(),
            request_time_epoch_ms=now_ms(),
        )
        result = await run_in_threadpool(gateway.handle, incoming)
        response = Response(result.body, result.status)
        response.raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers
        ]
        response.raw_headers.append((b"content-length", str(len(result.body)).encode()))
        return response

    routes = [Route("/{path:path}", endpoint, methods=METHODS)]
    return Starlette(routes=routes)

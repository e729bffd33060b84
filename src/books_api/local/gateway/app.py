"""The HTTP adapter: a plain ASGI app around the gateway core, plus building the gateway.

It is a bare ASGI callable rather than a framework app: each request costs one parse, one
event-loop coroutine and one round trip to the function's execution environment.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from books_api.local.gateway import document
from books_api.local.gateway import responses as gw
from books_api.local.gateway.access_log import AccessLog
from books_api.local.gateway.docs import PREFIX as DOCS_PREFIX
from books_api.local.gateway.docs import DocsPages
from books_api.local.gateway.stage import MAX_REQUEST_BODY, Gateway
from books_api.local.gateway.throttle import TokenBucket
from books_api.local.lambda_runtime.events import IncomingRequest, new_request_id, now_ms
from books_api.local.lambda_runtime.function import LambdaFunction, add_code_roots

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ExtraRoutes = Mapping[str, Callable[[], bytes]]

logger = logging.getLogger("books_api.local")

# The scope extension where the server puts the header names as the client sent them
# (`scope["extensions"][HEADER_NAMES]["names"]`, in the order of `scope["headers"]`).
HEADER_NAMES = "books_api.header_names"


def build_gateway(
    api_path: Path,
    functions_path: Path,
    environment: dict[str, dict[str, str]] | None = None,
    access_log: AccessLog | None = None,
    stage: str = "prod",
    throttle: TokenBucket | None = None,
) -> Gateway:
    """A gateway for the document; `environment` overrides variables per function name."""
    spec = document.load(api_path, functions_path)
    add_code_roots(Path.cwd(), functions_path.parent)
    overrides = environment or {}
    functions = {
        key: LambdaFunction(fn, overrides.get(fn.name)) for key, fn in spec.functions.items()
    }
    return Gateway(spec, functions, access_log, stage, throttle)


class GatewayApp:
    """ASGI: `/{stage}/...` goes to the gateway, `/docs` to Swagger UI."""

    def __init__(self, gateway: Gateway, extra_routes: ExtraRoutes | None = None) -> None:
        self.gateway = gateway
        self.extra_routes = dict(extra_routes or {})  # path -> JSON body, e.g. a JWKS
        self.prefix = f"/{gateway.stage}"
        self.docs = DocsPages(gateway.spec.raw, gateway.stage, gateway.spec.title)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.gateway.close)
            return
        if scope["type"] != "http":
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if raw_path == DOCS_PREFIX or raw_path.startswith(DOCS_PREFIX + "/"):
            await self._docs(scope, send)
            return
        if raw_path in self.extra_routes and scope["method"] in ("GET", "HEAD"):
            json_type = [("Content-Type", "application/json")]
            try:
                await _send(send, 200, json_type, self.extra_routes[raw_path]())
            except OSError:
                await _send(send, 404, json_type, b'{"message":"Not Found"}')
            return
        body, too_large = await _read_body(receive)
        if body is None:
            return  # the client left before sending the whole body: nothing to answer
        if raw_path != self.prefix and not raw_path.startswith(self.prefix + "/"):
            # Another stage, or the stage in another case: API Gateway answers Forbidden.
            response = gw.FORBIDDEN.response()
            response.headers.append(("x-amzn-RequestId", new_request_id()))
            await _send(send, response.status, response.headers, response.body)
            return
        headers = _headers_as_sent(scope)
        client = scope.get("client")
        source_ip = client[0] if client else "127.0.0.1"
        request_id = new_request_id()
        epoch_ms = now_ms()
        _add_forwarding_headers(headers, source_ip, scope, request_id, epoch_ms)
        incoming = IncomingRequest(
            method=scope["method"],
            path=raw_path[len(self.prefix) :] or "/",
            query=parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True),
            headers=headers,
            body=body,
            source_ip=source_ip,
            stage=self.gateway.stage,
            host=_host(headers),
            request_id=request_id,
            request_time_epoch_ms=epoch_ms,
            too_large=too_large,
        )
        try:
            result = await self.gateway.respond(incoming)
        except Exception:  # a gateway bug must not cost the client its answer
            logger.exception("gateway failure")
            result = gw.INTEGRATION_FAILURE.response()
            result.headers.append(("x-amzn-RequestId", incoming.request_id))
        await _send(send, result.status, result.headers, result.body)

    async def _docs(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _send(send, 405, [("Content-Type", "application/json")], b'{"message":"GET"}')
            return
        status, content_type, body = self.docs.get(scope["path"])
        await _send(send, status, [("Content-Type", content_type)], body)


def create_app(gateway: Gateway, extra_routes: ExtraRoutes | None = None) -> GatewayApp:
    """`extra_routes` maps paths outside the stage to JSON documents, read on each GET."""
    return GatewayApp(gateway, extra_routes)


async def _read_body(receive: Receive) -> tuple[bytes | None, bool]:
    """The whole body, or (b"", True) once it passes the limit (the rest is drained);
    (None, False) when the client disconnects first: a partial body is never passed on."""
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST_BODY:
            too_large = True
            chunks.clear()
        elif chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if too_large:
        return b"", True
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), False


def _headers_as_sent(scope: Scope) -> list[tuple[str, str]]:
    """The request's headers, named as the client sent them when the server kept the names
    (http_protocol.GatewayHttpProtocol); otherwise in ASGI's lower case."""
    pairs = scope["headers"]
    names = scope.get("extensions", {}).get(HEADER_NAMES, {}).get("names")
    if names is not None and len(names) == len(pairs):
        named = zip(names, pairs, strict=True)
        return [(n.decode("latin-1"), v.decode("latin-1")) for n, (_, v) in named]
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs]


def _add_forwarding_headers(
    headers: list[tuple[str, str]],
    source_ip: str,
    scope: Scope,
    request_id: str,
    epoch_ms: int,
) -> None:
    """The headers API Gateway adds to what the client sent (X-Forwarded-For appended to)."""
    for index, (key, value) in enumerate(headers):
        if key.lower() == "x-forwarded-for":
            headers[index] = (key, f"{value}, {source_ip}")
            break
    else:
        headers.append(("X-Forwarded-For", source_ip))
    server = scope.get("server")
    headers.append(("X-Forwarded-Port", str(server[1]) if server else "80"))
    headers.append(("X-Forwarded-Proto", str(scope.get("scheme", "http"))))
    trace = request_id.replace("-", "")[-24:]
    headers.append(("X-Amzn-Trace-Id", f"Root=1-{epoch_ms // 1000:08x}-{trace}"))


def _host(headers: list[tuple[str, str]]) -> str:
    for key, value in headers:
        if key.lower() == "host":
            return value.split(":")[0]
    return "127.0.0.1"


async def _send(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send, on_shutdown: Callable[[], None]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return

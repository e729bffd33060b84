"""CORS configured with `x-amazon-apigateway-cors`: preflights answered by the gateway itself,
and CORS headers added to the integration's responses.

(CORS through an `OPTIONS` method with a `mock` integration needs nothing here: the method's
integration response carries the headers, see `document.MockResponse`.)
"""

from __future__ import annotations

from books_api.local.gateway.document import CorsConfig
from books_api.local.gateway.responses import GatewayResponse
from books_api.local.lambda_runtime.events import IncomingRequest


def is_preflight(request: IncomingRequest) -> bool:
    return (
        request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


def allowed_origin(cors: CorsConfig, origin: str | None) -> str | None:
    if origin is None:
        return None
    if "*" in cors.allow_origins:
        # Browsers reject `*` together with credentials, so the origin is echoed then.
        return origin if cors.allow_credentials else "*"
    return origin if origin in cors.allow_origins else None


def preflight(cors: CorsConfig, request: IncomingRequest) -> GatewayResponse:
    """The gateway's answer to a preflight: 204, with CORS headers when the origin may call."""
    headers: list[tuple[str, str]] = []
    origin = allowed_origin(cors, request.header("origin"))
    wanted_method = (request.header("access-control-request-method") or "").upper()
    method_ok = "*" in cors.allow_methods or wanted_method in cors.allow_methods
    if origin is not None and method_ok:
        headers.append(("Access-Control-Allow-Origin", origin))
        headers.append(("Access-Control-Allow-Methods", ",".join(cors.allow_methods)))
        requested = request.header("access-control-request-headers")
        if cors.allow_headers == ("*",) and requested:
            headers.append(("Access-Control-Allow-Headers", requested))
        elif cors.allow_headers:
            headers.append(("Access-Control-Allow-Headers", ",".join(cors.allow_headers)))
        if cors.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if cors.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return GatewayResponse(204, headers, b"")


def add_response_headers(
    cors: CorsConfig, request: IncomingRequest, headers: list[tuple[str, str]]
) -> None:
    origin = allowed_origin(cors, request.header("origin"))
    if origin is None:
        return
    headers.append(("Access-Control-Allow-Origin", origin))
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ",".join(cors.expose_headers)))

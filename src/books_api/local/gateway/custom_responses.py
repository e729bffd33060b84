"""Gateway responses customised in the document (`x-amazon-apigateway-gateway-responses`):
status code, headers (`responseParameters`) and body template, per response type, with
DEFAULT_4XX / DEFAULT_5XX as the fallback for types the document leaves alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from books_api.local.gateway.responses import GatewayError, GatewayResponse
from books_api.local.lambda_runtime.events import IncomingRequest


@dataclass(frozen=True)
class CustomResponse:
    status: int | None
    parameters: tuple[tuple[str, str], ...]  # (header name, value expression)
    template: str | None


def parse(raw: Any) -> dict[str, CustomResponse]:
    if not isinstance(raw, dict):
        return {}
    result = {}
    for response_type, config in raw.items():
        if not isinstance(config, dict):
            continue
        status = config.get("statusCode")
        parameters = tuple(
            (str(key).removeprefix("gatewayresponse.header."), str(value))
            for key, value in (config.get("responseParameters") or {}).items()
            if str(key).startswith("gatewayresponse.header.")
        )
        templates = config.get("responseTemplates") or {}
        template = templates.get("application/json") if isinstance(templates, dict) else None
        result[str(response_type).upper()] = CustomResponse(
            int(status) if status is not None else None,
            parameters,
            str(template) if template is not None else None,
        )
    return result


def render(
    error: GatewayError, overrides: dict[str, CustomResponse], request: IncomingRequest
) -> GatewayResponse:
    custom = overrides.get(error.response_type) or overrides.get(
        "DEFAULT_5XX" if error.status >= 500 else "DEFAULT_4XX"
    )
    if custom is None:
        return error.response()
    response = error.response()
    headers = response.headers
    for name, expression in custom.parameters:
        value = _parameter(expression, request)
        if value is not None:
            headers.append((name, value))
    body = response.body
    if custom.template is not None:
        body = _fill(custom.template, error, request).encode("utf-8")
    return GatewayResponse(custom.status or error.status, headers, body)


def _parameter(expression: str, request: IncomingRequest) -> str | None:
    expression = expression.strip()
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    if expression.startswith("method.request.header."):
        return request.header(expression.removeprefix("method.request.header."))
    if expression.startswith("method.request.querystring."):
        wanted = expression.removeprefix("method.request.querystring.")
        values = [value for key, value in request.query if key == wanted]
        return values[-1] if values else None
    return None


def _fill(template: str, error: GatewayError, request: IncomingRequest) -> str:
    variables = {
        "$context.error.messageString": json.dumps(error.message),
        "$context.error.message": error.message or "",
        "$context.error.responseType": error.response_type,
        "$context.requestId": request.request_id,
        "$context.extendedRequestId": request.extended_request_id,
        "$context.stage": request.stage,
        "$context.httpMethod": request.method,
    }
    # Longest names first, so that `message` does not eat into `messageString`.
    for name in sorted(variables, key=len, reverse=True):
        template = template.replace(name, variables[name])
    return template

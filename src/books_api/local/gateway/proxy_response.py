"""Map a Lambda proxy integration response to the HTTP response API Gateway sends."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from books_api.local.gateway import responses as gw


def to_gateway_response(result: Any) -> gw.GatewayResponse | gw.GatewayError:
    """Anything malformed is a 502 (a response too large for Lambda fails in its sandbox)."""
    if not isinstance(result, dict):
        return gw.INTEGRATION_FAILURE
    status = result.get("statusCode")
    body = result.get("body")
    headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return gw.INTEGRATION_FAILURE
    if body is not None and not isinstance(body, str):
        return gw.INTEGRATION_FAILURE
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        return gw.INTEGRATION_FAILURE
    raw = (body or "").encode("utf-8")
    if result.get("isBase64Encoded") and body:
        try:
            raw = base64.b64decode(body, validate=True)
        except (ValueError, binascii.Error):
            return gw.INTEGRATION_FAILURE
    return gw.GatewayResponse(status, _headers(headers, multi), raw)


def _headers(headers: dict[str, Any], multi: dict[str, Any]) -> list[tuple[str, str]]:
    # API Gateway merges both maps; for a name in both, only `multiValueHeaders` counts.
    header_list: list[tuple[str, str]] = []
    has_type = False
    for key, values in multi.items():
        if isinstance(values, list) and values:
            header_list.extend((str(key), _header_value(v)) for v in values)
            has_type = has_type or str(key).lower() == "content-type"
    named = {str(k).lower() for k in multi} if multi else ()
    for key, value in headers.items():
        name = key if isinstance(key, str) else str(key)
        lower = name.lower()
        if lower in named:
            continue
        has_type = has_type or lower == "content-type"
        header_list.append((name, value if isinstance(value, str) else _header_value(value)))
    if not has_type:
        header_list.append(("Content-Type", "application/json"))
    return header_list


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

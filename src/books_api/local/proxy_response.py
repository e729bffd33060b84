"""Map a Lambda proxy integration response to the HTTP response API Gateway sends."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from books_api.local import responses as gw


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
    for key, values in multi.items():
        if isinstance(values, list):
            header_list.extend((str(key), _header_value(v)) for v in values)
    named = {str(k).lower() for k in multi}
    header_list.extend(
        (str(k), _header_value(v)) for k, v in headers.items() if str(k).lower() not in named
    )
    if not any(k.lower() == "content-type" for k, _ in header_list):
        header_list.append(("Content-Type", "application/json"))
    return header_list


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

"""Hand-made tokens: any header, any payload bytes, any key (what PyJWT refuses to make)."""

from __future__ import annotations

import base64
import hmac
import json
from typing import Any


def b64(data: bytes | str | dict[str, Any] | list[Any]) -> str:
    if isinstance(data, dict | list):
        data = json.dumps(data)
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hmac_sign(header: dict[str, Any], payload: Any, key: bytes, digest: str = "sha256") -> str:
    """An HMAC-signed token; `payload` is JSON-encoded unless given as bytes (None: not JSON)."""
    body = payload if isinstance(payload, bytes) else b"not json" if payload is None else None
    payload_segment = b64(body) if body is not None else b64(payload)
    signing_input = f"{b64(header)}.{payload_segment}"
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"

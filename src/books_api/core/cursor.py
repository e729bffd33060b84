"""Opaque, tamper-evident pagination tokens: the last key seen, signed with HMAC-SHA256."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from books_api.core.errors import ValidationFailed

_SIGNATURE_BYTES = 16


def encode(last_key: str, key: bytes) -> str:
    payload = json.dumps({"k": last_key}, separators=(",", ":")).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return _b64(payload) + "." + _b64(signature)


def decode(token: str, key: bytes) -> str:
    """The last key inside `token`; ValidationFailed if it was not made by `encode`."""
    invalid = ValidationFailed("Invalid next_token")
    if len(token) > 2048 or token.count(".") != 1:
        raise invalid
    payload_part, signature_part = token.split(".")
    try:
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
    except (binascii.Error, ValueError):
        raise invalid from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    if not hmac.compare_digest(signature, expected):
        raise invalid
    try:
        last_key = json.loads(payload)["k"]
    except (ValueError, KeyError, TypeError):
        raise invalid from None
    if not isinstance(last_key, str):
        raise invalid
    return last_key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

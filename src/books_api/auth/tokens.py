"""Read a compact JWS strictly and verify its signature; every failure is a `TokenRejected`.

PyJWT's algorithm objects do the cryptography. The framing is checked here because PyJWT
accepts non-canonical base64url (a changed last character can decode to the same bytes),
and because the header must be read before a key can be chosen.
"""

from __future__ import annotations

import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from jwt.algorithms import Algorithm, get_default_algorithms

MAX_TOKEN_LENGTH = 8192
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
_ALGORITHMS: dict[str, Algorithm] = {
    name: algorithm
    for name, algorithm in get_default_algorithms().items()
    if name in HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS
}
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_TO_STANDARD_ALPHABET = str.maketrans("-_", "+/")
_JSON = json.JSONDecoder()


class TokenRejected(Exception):
    """The token must not be trusted; `reason` names why (never the token itself)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedToken:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        return str(self.header["alg"])

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def strip_bearer(header_value: str) -> str:
    """`Bearer <jwt>` or `<jwt>` -> `<jwt>` (nothing else is trimmed: any change is refused)."""
    if header_value[:7].lower() == "bearer ":
        return header_value[7:]
    return header_value


def parse(token: str, allowed_algorithms: frozenset[str]) -> SignedToken:
    """Split and decode a compact JWS whose `alg` is allowed; the signature is NOT checked."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejected("token too long")
    if not _COMPACT.fullmatch(token):
        raise TokenRejected("malformed token")
    header_segment, payload_segment, signature_segment = token.split(".")
    header = _json_object(_b64decode(header_segment), "header")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed_algorithms:
        raise TokenRejected("algorithm not allowed")
    if "crit" in header or header.get("b64", True) is not True:
        raise TokenRejected("unsupported critical header")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid or len(kid) > 256):
        raise TokenRejected("malformed kid")
    claims = _json_object(_b64decode(payload_segment), "payload")
    return SignedToken(
        header,
        claims,
        f"{header_segment}.{payload_segment}".encode("ascii"),
        _b64decode(signature_segment),
    )


def verify_signature(token: SignedToken, key: Any) -> None:
    """`key` comes from `prepare_key` for the token's algorithm."""
    try:
        valid = _ALGORITHMS[token.alg].verify(token.signing_input, key, token.signature)
    except Exception:  # a key of the wrong type for the algorithm: never valid
        valid = False
    if not valid:
        raise TokenRejected("bad signature")


def algorithm(name: str) -> Algorithm:
    """PyJWT's implementation of `name` (HMAC, RSA, RSA-PSS or ECDSA)."""
    return _ALGORITHMS[name]


def _b64decode(segment: str) -> bytes:
    standard = segment.translate(_TO_STANDARD_ALPHABET) + "=" * (-len(segment) % 4)
    try:
        data = binascii.a2b_base64(standard, strict_mode=True)
    except (binascii.Error, ValueError):
        raise TokenRejected("malformed base64") from None
    # Only the canonical encoding is accepted, so that no two strings carry one token.
    if binascii.b2a_base64(data, newline=False).decode("ascii") != standard:
        raise TokenRejected("malformed base64")
    return data


def _json_object(data: bytes, part: str) -> dict[str, Any]:
    try:
        value = _JSON.decode(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise TokenRejected(f"malformed {part}") from None
    if not isinstance(value, dict):
        raise TokenRejected(f"malformed {part}")
    return value

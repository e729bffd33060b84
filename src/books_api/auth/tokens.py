"""Verify a JWT from the `authorizationToken` header; every failure is a `TokenRejected`."""

from __future__ import annotations

from typing import Any

import jwt


class TokenRejected(Exception):
    """The token must not be trusted; `reason` names why (never the token itself)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


MAX_TOKEN_LENGTH = 8192


def strip_bearer(header_value: str) -> str:
    """`Bearer <jwt>` or `<jwt>` -> `<jwt>`."""
    value = header_value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


def verify_hs256(token: str, secret: str) -> dict[str, Any]:
    """Claims of a valid HS256 token with `exp`; raise TokenRejected otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenRejected("malformed token")
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise TokenRejected("expired") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("bad signature") from None
    except jwt.MissingRequiredClaimError as error:
        raise TokenRejected(f"missing claim {error.claim}") from None
    except jwt.InvalidAlgorithmError:
        raise TokenRejected("algorithm not allowed") from None
    except jwt.InvalidTokenError as error:
        raise TokenRejected(f"invalid token: {type(error).__name__}") from None
    return claims

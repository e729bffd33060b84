"""Standard and configured claim checks, and reading roles and scopes from the claims."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from books_api.auth.tokens import TokenRejected

_MISSING = object()


@dataclass(frozen=True)
class ClaimRules:
    leeway_s: float = 30.0
    issuers: tuple[str, ...] = ()  # empty: not checked
    audiences: tuple[str, ...] = ()  # empty: not checked
    required: tuple[tuple[str, str | None], ...] = ()  # (claim, exact value or None)


def check(claims: Mapping[str, Any], rules: ClaimRules, now: float) -> str:
    """Raise TokenRejected unless the claims are acceptable at `now`; return `sub` ("" if
    absent: the article's tokens carry none)."""
    _check_times(claims, rules.leeway_s, now)
    subject = claims.get("sub", "")
    if not isinstance(subject, str) or ("sub" in claims and not subject.strip()):
        raise TokenRejected("mistyped claim sub")
    if rules.issuers:
        _check_issuer(claims, rules.issuers)
    if rules.audiences:
        _check_audience(claims, rules.audiences)
    for name, expected in rules.required:
        value = claim_at(claims, name)
        if value is None:
            raise TokenRejected(f"missing claim {name}")
        if expected is not None and value != expected:
            raise TokenRejected(f"wrong claim {name}")
    return subject


def _check_times(claims: Mapping[str, Any], leeway_s: float, now: float) -> None:
    expires = _numeric_date(claims, "exp", required=True)
    if now - leeway_s >= expires:
        raise TokenRejected("expired")
    if _numeric_date(claims, "nbf", required=False) > now + leeway_s:
        raise TokenRejected("not yet valid")
    if _numeric_date(claims, "iat", required=False) > now + leeway_s:
        raise TokenRejected("issued in the future")


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim named `path`, else the dotted path into nested objects (`realm_access.roles`)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def roles(claims: Mapping[str, Any], role_claim: str) -> tuple[str, ...]:
    """A string role, or a list of string roles (`cognito:groups`); anything else is none."""
    value = claim_at(claims, role_claim)
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list) and all(isinstance(role, str) for role in value):
        return tuple(dict.fromkeys(role for role in value if role))
    return ()


def scopes(claims: Mapping[str, Any]) -> str:
    """OAuth scopes as one space-separated string (`scope`, or the list `scp`)."""
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope
    listed = claims.get("scp")
    if isinstance(listed, list) and all(isinstance(item, str) for item in listed):
        return " ".join(listed)
    if isinstance(listed, str):
        return listed
    return ""


def _numeric_date(claims: Mapping[str, Any], name: str, required: bool) -> float:
    value = claims.get(name, _MISSING)
    if value is _MISSING:
        if required:
            raise TokenRejected(f"missing claim {name}")
        return -math.inf if name != "exp" else math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRejected(f"mistyped claim {name}")
    if isinstance(value, float) and not math.isfinite(value):
        raise TokenRejected(f"mistyped claim {name}")
    return value


def _check_issuer(claims: Mapping[str, Any], issuers: tuple[str, ...]) -> None:
    issuer = claims.get("iss")
    if issuer is None:
        raise TokenRejected("missing claim iss")
    if not isinstance(issuer, str) or issuer not in issuers:
        raise TokenRejected("wrong issuer")


def _check_audience(claims: Mapping[str, Any], audiences: tuple[str, ...]) -> None:
    # Cognito access tokens carry the app client in `client_id` instead of `aud`.
    audience = claims.get("aud", claims.get("client_id"))
    if audience is None:
        raise TokenRejected("missing claim aud")
    listed = [audience] if isinstance(audience, str) else audience
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise TokenRejected("mistyped claim aud")
    if not any(item in audiences for item in listed):
        raise TokenRejected("wrong audience")

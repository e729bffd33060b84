"""Cognito user pool authorizers (`type: cognito_user_pools`), verified as API Gateway does.

The token in the identity header must be signed (RS256) by a key of the pool's JWKS, issued by
the pool (`iss`), unexpired, and an ID or access token. A method without authorization
scopes takes ID tokens; a method with scopes takes access tokens granting one of them.

Locally each pool of `providerARNs` is configured in the functions file:

    cognito_user_pools:
      arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Example:
        jwks: keys/jwks.json          # a JWKS file (relative to the functions file), or
        jwks_url: https://...         # a URL; default: the pool's own JWKS
        issuer: https://...           # default: https://cognito-idp.{region}.amazonaws.com/{id}
        client_ids: [app-client-id]   # default: tokens of any app client

A pool that is not listed is the real one (its issuer and JWKS URL follow from its ARN).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from books_api.auth.jwks import JwksKeys, fetch_document
from books_api.auth.tokens import TokenRejected, parse, strip_bearer, verify_signature
from books_api.local.lambda_runtime.functions_file import DocumentError

_POOL_ARN = re.compile(r"arn:aws[\w-]*:cognito-idp:([a-z0-9-]+):\d{12}:userpool/([\w-]+)")
_TEMPLATE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_ALGORITHMS = frozenset({"RS256"})  # Cognito signs with RS256 only
FILE_REFRESH_S = 1.0  # a local JWKS file: rotated keys count at once
URL_REFRESH_S = 60.0
_DATE_CLAIMS = ("exp", "iat")
logger = logging.getLogger("books_api.local")


@dataclass(frozen=True)
class PoolSettings:
    """The functions file's `cognito_user_pools`, and the directory its paths start from."""

    entries: dict[str, Any]
    directory: Path

    @classmethod
    def read(cls, raw: Any, directory: Path) -> PoolSettings:
        if raw is not None and not isinstance(raw, dict):
            raise DocumentError("cognito_user_pools must map pool ARNs to their settings")
        return cls(dict(raw or {}), directory)


@dataclass
class UserPool:
    arn: str
    issuer: str
    jwks: str  # a file path or a URL
    client_ids: frozenset[str] = frozenset()
    keys: JwksKeys = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.keys = _key_source(self)

    @property
    def remote(self) -> bool:
        return self.jwks.startswith(("http://", "https://"))


def pools_for(provider_arns: Any, settings: PoolSettings, where: str) -> tuple[UserPool, ...]:
    """The pools an authorizer's `providerARNs` name, with their local settings."""
    if not isinstance(provider_arns, list) or not provider_arns:
        raise DocumentError(f"{where}: a cognito_user_pools authorizer needs providerARNs")
    return tuple(_pool(str(arn), settings, where) for arn in provider_arns)


def _pool(arn: str, settings: PoolSettings, where: str) -> UserPool:
    template = _TEMPLATE.fullmatch(arn)
    key = template.group(1) if template else arn
    entry = settings.entries.get(key) or {}
    if not isinstance(entry, dict):
        raise DocumentError(f"cognito_user_pools: {key!r} must be a mapping")
    issuer = entry.get("issuer") or issuer_of(arn)
    if not issuer:
        raise DocumentError(
            f"{where}: provider {arn!r} is not a user pool ARN; give cognito_user_pools "
            f"{key!r} an issuer and a jwks"
        )
    issuer = str(issuer).rstrip("/")
    if entry.get("jwks"):
        jwks = str((settings.directory / str(entry["jwks"])).resolve())
    else:
        jwks = str(entry.get("jwks_url") or f"{issuer}/.well-known/jwks.json")
    return UserPool(arn, issuer, jwks, frozenset(str(c) for c in entry.get("client_ids") or ()))


def issuer_of(arn: str) -> str | None:
    """`https://cognito-idp.{region}.amazonaws.com/{pool id}` of a user pool ARN."""
    match = _POOL_ARN.fullmatch(arn)
    if match is None:
        return None
    region, pool_id = match.groups()
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def _key_source(pool: UserPool) -> JwksKeys:
    def complain(message: str) -> None:
        logger.warning("cognito user pool %s: %s (%s)", pool.arn, message, pool.jwks)

    if pool.remote:
        return JwksKeys(pool.jwks, URL_REFRESH_S, complain, fetch_document)
    return JwksKeys(pool.jwks, FILE_REFRESH_S, complain, lambda path: Path(path).read_bytes())


def verify(header_value: str, pools: tuple[UserPool, ...], now: float) -> dict[str, Any] | None:
    """The claims of a token one of `pools` issued and signed, or None."""
    try:
        token = parse(strip_bearer(header_value), _ALGORITHMS)
        claims = token.claims
        pool = next((p for p in pools if p.issuer == claims.get("iss")), None)
        if pool is None:
            return None
        verify_signature(token, pool.keys.key_for(token))
    except TokenRejected:
        return None
    return claims if _valid_claims(claims, pool, now) else None


def _valid_claims(claims: dict[str, Any], pool: UserPool, now: float) -> bool:
    token_use = claims.get("token_use")
    if token_use not in ("id", "access"):
        return False
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or isinstance(expires, bool) or expires <= now:
        return False
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not_before > now:
        return False
    if pool.client_ids:
        # An ID token names its app client in `aud`, an access token in `client_id`.
        client = claims.get("aud" if token_use == "id" else "client_id")
        return isinstance(client, str) and client in pool.client_ids
    return True


def authorizes(claims: dict[str, Any], scopes: tuple[str, ...]) -> bool:
    """API Gateway takes the token as an ID token when the method has no authorization
    scopes, and as an access token granting at least one of them when it has."""
    if not scopes:
        return claims.get("token_use") == "id"
    granted = claims.get("scope")
    if claims.get("token_use") != "access" or not isinstance(granted, str):
        return False
    return not set(scopes).isdisjoint(granted.split())


def claim_strings(claims: dict[str, Any]) -> dict[str, str]:
    """`requestContext.authorizer.claims` as API Gateway passes them: every value a string,
    `exp` and `iat` as dates (`Tue Apr 04 18:39:39 UTC 2023`), lists joined by commas."""
    result = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
            result[name] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        else:
            result[name] = _string(value)
    return result


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_string(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)

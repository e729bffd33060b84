"""The authorizers of an OpenAPI document (`x-amazon-apigateway-authorizer`), as API Gateway
imports them: Lambda authorizers of type TOKEN or REQUEST, and Cognito user pool authorizers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from books_api.local.gateway.cognito import PoolSettings, UserPool, pools_for
from books_api.local.lambda_runtime.events import IncomingRequest
from books_api.local.lambda_runtime.functions_file import DocumentError

DEFAULT_AUTHORIZER_TTL = 300
# Where an identity source is read from, by the prefix of its mapping expression.
_SOURCE_KINDS = {
    "method.request.header.": "header",
    "method.request.multivalueheader.": "multivalueheader",
    "method.request.querystring.": "querystring",
    "method.request.multivaluequerystring.": "multivaluequerystring",
    "stageVariables.": "stageVariables",
    "context.": "context",
}
FunctionKey = Callable[[Any, str], str]  # (uri, where) -> the function it names


@dataclass(frozen=True)
class IdentitySource:
    """One mapping expression of `identitySource`, e.g. `method.request.querystring.name`."""

    kind: str  # a value of _SOURCE_KINDS
    name: str  # header names in lower case

    def value(
        self,
        request: IncomingRequest,
        stage_variables: dict[str, str],
        context: dict[str, Any] | None,
    ) -> str | None:
        """The value in this request (a multi-value source: its values joined by commas)."""
        if self.kind == "header":
            return request.header(self.name)
        if self.kind == "querystring":
            return next((v for k, v in reversed(request.query) if k == self.name), None)
        if self.kind == "multivaluequerystring":
            return _joined(v for k, v in request.query if k == self.name)
        if self.kind == "multivalueheader":
            return _joined(v for k, v in request.headers if k.lower() == self.name)
        if self.kind == "stageVariables":
            return stage_variables.get(self.name)
        return _context_value(context or {}, self.name)


@dataclass(frozen=True)
class LambdaAuthorizerSpec:
    scheme: str
    type: str  # "token" or "request"
    function: str  # FunctionSpec.key
    identity: tuple[IdentitySource, ...]  # a TOKEN authorizer's: exactly one header
    validation: re.Pattern[str] | None  # identityValidationExpression (TOKEN only)
    ttl_s: int


@dataclass(frozen=True)
class CognitoAuthorizerSpec:
    scheme: str
    header: str  # lower case
    pools: tuple[UserPool, ...]
    ttl_s: int


AuthorizerSpec = LambdaAuthorizerSpec | CognitoAuthorizerSpec


def parse_authorizers(
    document: dict[str, Any], function_key: FunctionKey, pool_settings: PoolSettings
) -> dict[str, AuthorizerSpec]:
    schemes = document.get("components", {}).get("securitySchemes", {}) or {}
    result: dict[str, AuthorizerSpec] = {}
    for name, scheme in schemes.items():
        config = (scheme or {}).get("x-amazon-apigateway-authorizer")
        if not config:
            continue
        where = f"authorizer {name}"
        kind = str(config.get("type", "token")).lower()
        ttl_s = _ttl(config, where)
        if kind == "cognito_user_pools":
            header = _header_source(config, scheme, where)
            pools = pools_for(config.get("providerARNs"), pool_settings, where)
            result[name] = CognitoAuthorizerSpec(name, header, pools, ttl_s)
        elif kind in ("token", "request"):
            result[name] = _lambda_authorizer(name, kind, config, scheme, function_key, ttl_s)
        else:
            raise DocumentError(
                f"{where}: type {kind!r} is not supported (token, request, cognito_user_pools)"
            )
    return result


def _lambda_authorizer(
    name: str,
    kind: str,
    config: dict[str, Any],
    scheme: dict[str, Any],
    function_key: FunctionKey,
    ttl_s: int,
) -> LambdaAuthorizerSpec:
    where = f"authorizer {name}"
    if kind == "token":
        identity: tuple[IdentitySource, ...] = (
            IdentitySource("header", _header_source(config, scheme, where)),
        )
    else:
        identity = parse_identity_sources(config.get("identitySource"), where)
        if ttl_s > 0 and not identity:
            # API Gateway refuses a cached REQUEST authorizer without identity sources.
            raise DocumentError(f"{where}: caching (TTL {ttl_s}) needs an identitySource")
    expression = config.get("identityValidationExpression") if kind == "token" else None
    try:
        validation = re.compile(expression) if expression else None
    except re.error as error:
        raise DocumentError(f"{where}: identityValidationExpression: {error}") from None
    function = function_key(config.get("authorizerUri"), where)
    return LambdaAuthorizerSpec(name, kind, function, identity, validation, ttl_s)


def parse_identity_sources(text: Any, where: str) -> tuple[IdentitySource, ...]:
    """`method.request.header.Auth, method.request.querystring.Name, ...` (REQUEST)."""
    sources = []
    for expression in str(text or "").split(","):
        expression = expression.strip()
        if not expression:
            continue
        prefix = next((p for p in _SOURCE_KINDS if expression.startswith(p)), None)
        if prefix is None or expression == prefix:
            raise DocumentError(
                f"{where}: identity source {expression!r} is none of "
                + ", ".join(f"{p}NAME" for p in _SOURCE_KINDS)
            )
        kind, name = _SOURCE_KINDS[prefix], expression[len(prefix) :]
        sources.append(IdentitySource(kind, name.lower() if "header" in kind else name))
    return tuple(sources)


def _header_source(config: dict[str, Any], scheme: dict[str, Any], where: str) -> str:
    """A TOKEN or Cognito authorizer's identity source: one header."""
    default = f"method.request.header.{scheme.get('name') or 'Authorization'}"
    source = str(config.get("identitySource") or default).strip()
    if not source.startswith("method.request.header.") or "," in source:
        raise DocumentError(f"{where}: identitySource must be one method.request.header.NAME")
    return source.removeprefix("method.request.header.").lower()


def _ttl(config: dict[str, Any], where: str) -> int:
    try:
        ttl = int(config.get("authorizerResultTtlInSeconds", DEFAULT_AUTHORIZER_TTL))
    except (TypeError, ValueError):
        raise DocumentError(f"{where}: authorizerResultTtlInSeconds must be a number") from None
    if not 0 <= ttl <= 3600:
        raise DocumentError(f"{where}: authorizerResultTtlInSeconds must be 0 to 3600")
    return ttl


def _joined(values: Any) -> str | None:
    found = [value for value in values if value]
    return ",".join(found) if found else None


def _context_value(context: dict[str, Any], dotted: str) -> str | None:
    """`context.identity.sourceIp` -> requestContext["identity"]["sourceIp"]."""
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return None if value is None or isinstance(value, dict) else str(value)

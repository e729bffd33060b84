"""Authorizers at request time, as API Gateway runs them: Lambda authorizers (identity sources,
result cache, the IAM policy evaluated against the method ARN) and Cognito user pool
authorizers (the token verified, its claims cached, the method's scopes checked)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from books_api.auth.policy import Decision
from books_api.local.gateway import cognito
from books_api.local.gateway import responses as gw
from books_api.local.gateway.authorizer_cache import Authorization, AuthorizerCache, Identity
from books_api.local.gateway.authorizer_config import (
    AuthorizerSpec,
    CognitoAuthorizerSpec,
    LambdaAuthorizerSpec,
)
from books_api.local.gateway.document import Operation
from books_api.local.lambda_runtime.environments import InvocationFailed, InvocationTimeout
from books_api.local.lambda_runtime.events import (
    IncomingRequest,
    method_arn,
    request_context,
    request_event,
    token_event,
)
from books_api.local.lambda_runtime.function import LambdaFunction

AUTHORIZER_WAIT_S = 30.0
Outcome = dict[str, Any] | gw.GatewayError  # requestContext.authorizer, or the refusal
_UNCACHED: Identity = ()  # a REQUEST authorizer without caching: invoked for every request


@dataclass(frozen=True)
class VerifiedToken:
    """A Cognito token that passed verification: its claims, and as the function sees them."""

    claims: dict[str, Any]
    strings: dict[str, str]


class Authorizers:
    def __init__(
        self,
        specs: dict[str, AuthorizerSpec],
        functions: dict[str, LambdaFunction],
        stage_variables: dict[str, str],
    ) -> None:
        self.specs = specs
        self.functions = functions
        self.stage_variables = stage_variables
        self.caches: dict[str, AuthorizerCache[Any]] = {
            name: AuthorizerCache(spec.ttl_s) for name, spec in specs.items()
        }

    async def authorize(
        self, request: IncomingRequest, operation: Operation, path_parameters: dict[str, str] | None
    ) -> Outcome:
        assert operation.authorizer is not None
        spec = self.specs[operation.authorizer]
        if isinstance(spec, CognitoAuthorizerSpec):
            return await self._cognito(spec, request, operation.scopes)
        return await self._lambda(spec, request, operation.resource, path_parameters)

    async def _lambda(
        self,
        spec: LambdaAuthorizerSpec,
        request: IncomingRequest,
        resource: str,
        path_parameters: dict[str, str] | None,
    ) -> Outcome:
        identity = self._identity(spec, request, resource)
        # API Gateway answers 401 without calling the authorizer when an identity source is
        # missing or empty, or a token fails identityValidationExpression.
        if identity is None:
            return gw.UNAUTHORIZED
        cache: AuthorizerCache[Authorization] = self.caches[spec.scheme]
        authorization = cache.get(identity) if identity else None
        latency_ms = 0  # a cached decision reports no authorizer latency
        if authorization is None:
            started = time.perf_counter()
            if spec.type == "token":
                event = token_event(request, identity[0])
            else:
                event = request_event(request, resource, path_parameters, self.stage_variables)
            outcome = await self._invoke(spec, event, request.request_id)
            if isinstance(outcome, gw.GatewayError):
                return outcome
            authorization = Authorization(outcome)
            latency_ms = int((time.perf_counter() - started) * 1000)
            if identity:
                cache.put(identity, authorization)
        # The (possibly cached) policy is evaluated against this request's method ARN.
        decision = authorization.decide(method_arn(request))
        if decision is Decision.EXPLICIT_DENY:
            return gw.EXPLICIT_DENY
        if decision is Decision.IMPLICIT_DENY:
            return gw.ACCESS_DENIED
        return authorization.context(latency_ms)

    def _identity(
        self, spec: LambdaAuthorizerSpec, request: IncomingRequest, resource: str
    ) -> Identity | None:
        """The identity source values; None when one is missing (a 401)."""
        if spec.type == "request" and spec.ttl_s <= 0:
            # Without caching, API Gateway checks no identity source of a REQUEST authorizer.
            return _UNCACHED
        context = None
        if any(source.kind == "context" for source in spec.identity):
            context = request_context(request, resource)
        values = []
        for source in spec.identity:
            value = source.value(request, self.stage_variables, context)
            if not value:
                return None
            values.append(value)
        if spec.validation is not None and not spec.validation.fullmatch(values[0]):
            return None
        return tuple(values)

    async def _invoke(
        self, spec: LambdaAuthorizerSpec, event: dict[str, Any], request_id: str
    ) -> dict[str, Any] | gw.GatewayError:
        function = self.functions[spec.function]
        try:
            result = await function.invoke(
                event, min(function.spec.timeout_s, AUTHORIZER_WAIT_S), request_id
            )
        except InvocationFailed as failed:
            # Only the exact error message "Unauthorized" means 401; anything else is a 500.
            if failed.message == "Unauthorized":
                return gw.UNAUTHORIZED
            return gw.AUTHORIZER_FAILURE
        except InvocationTimeout:
            return gw.AUTHORIZER_FAILURE
        return result if valid_authorizer_result(result) else gw.AUTHORIZER_FAILURE

    async def _cognito(
        self, spec: CognitoAuthorizerSpec, request: IncomingRequest, scopes: tuple[str, ...]
    ) -> Outcome:
        header = request.header(spec.header)
        if not header:
            return gw.UNAUTHORIZED
        cache: AuthorizerCache[VerifiedToken] = self.caches[spec.scheme]
        verified = cache.get((header,))
        if verified is None:
            claims = await _verify(header, spec.pools)
            if claims is None:
                return gw.UNAUTHORIZED
            verified = VerifiedToken(claims, cognito.claim_strings(claims))
            cache.put((header,), verified)
        elif verified.claims["exp"] <= time.time():  # expired while cached
            return gw.UNAUTHORIZED
        # A token without one of the method's scopes is refused like an invalid one: 401.
        if not cognito.authorizes(verified.claims, scopes):
            return gw.UNAUTHORIZED
        return {"claims": verified.strings}


async def _verify(header: str, pools: tuple[cognito.UserPool, ...]) -> dict[str, Any] | None:
    if any(pool.remote for pool in pools):  # a JWKS fetch must not hold up the event loop
        return await asyncio.to_thread(cognito.verify, header, pools, time.time())
    return cognito.verify(header, pools, time.time())


def valid_authorizer_result(result: Any) -> bool:
    if not isinstance(result, dict) or not isinstance(result.get("policyDocument"), dict):
        return False
    principal = result.get("principalId")
    if not isinstance(principal, str | int) or isinstance(principal, bool):
        return False
    context = result.get("context")
    if context is None:
        return True
    # Context values must be strings, numbers or booleans (or null); objects and arrays are a 500.
    return isinstance(context, dict) and all(
        value is None or isinstance(value, str | int | float | bool) for value in context.values()
    )

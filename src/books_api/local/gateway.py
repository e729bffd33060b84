"""The gateway core: request in, response out, as an API Gateway REST API stage does.

No transport here: `app.py` adapts it to HTTP, and tests may call `handle` directly.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from books_api.auth.policy import Decision, evaluate
from books_api.local import responses as gw
from books_api.local.access_log import AccessLog
from books_api.local.authorizer_cache import AuthorizerCache
from books_api.local.document import ApiSpec, AuthorizerSpec, Operation
from books_api.local.events import (
    IncomingRequest,
    method_arn,
    proxy_event,
    request_time,
    token_event,
)
from books_api.local.router import Router
from books_api.local.runtime import InvocationFailed, InvocationTimeout, LambdaFunction

AUTHORIZER_WAIT_S = 30.0


class Gateway:
    def __init__(
        self,
        spec: ApiSpec,
        functions: dict[str, LambdaFunction],
        access_log: AccessLog | None = None,
        stage: str = "prod",
    ) -> None:
        self.spec = spec
        self.stage = stage
        self.functions = functions
        self.router = Router(spec.operations)
        self.caches = {name: AuthorizerCache(a.ttl_s) for name, a in spec.authorizers.items()}
        self.access_log = access_log

    def handle(self, request: IncomingRequest) -> gw.GatewayResponse:
        match = self.router.match(request.method, request.path)
        resource = match.operation.resource if match else request.path
        if match is None:
            response = gw.MISSING_AUTHENTICATION_TOKEN.response()
        else:
            response = self._authorized(request, match.operation, match.path_parameters)
        response.headers.append(("x-amzn-RequestId", request.request_id))
        if self.access_log is not None:
            self.access_log.write(
                request_id=request.request_id,
                ip=request.source_ip,
                request_time=request_time(request.request_time_epoch_ms),
                http_method=request.method,
                resource_path=resource,
                status=response.status,
                response_length=len(response.body),
            )
        return response

    def _authorized(
        self, request: IncomingRequest, operation: Operation, path_parameters: dict[str, str] | None
    ) -> gw.GatewayResponse:
        authorizer_context: dict[str, Any] | None = None
        if operation.authorizer is not None:
            outcome = self._authorize(request, self.spec.authorizers[operation.authorizer])
            if isinstance(outcome, gw.GatewayError):
                return outcome.response()
            authorizer_context = outcome
        event = proxy_event(request, operation.resource, path_parameters, authorizer_context)
        return self._integrate(operation, event, request.request_id)

    def _authorize(
        self, request: IncomingRequest, authorizer: AuthorizerSpec
    ) -> dict[str, Any] | gw.GatewayError:
        token = request.header(authorizer.header)
        # API Gateway answers 401 without calling the authorizer when the identity source is
        # missing or empty, or does not match identityValidationExpression.
        if not token:
            return gw.UNAUTHORIZED
        if authorizer.validation is not None and not authorizer.validation.fullmatch(token):
            return gw.UNAUTHORIZED
        cache = self.caches[authorizer.scheme]
        started = time.perf_counter()
        result = cache.get(token)
        if result is None:
            outcome = self._call_authorizer(authorizer, request, token)
            if isinstance(outcome, gw.GatewayError):
                return outcome
            result = outcome
            cache.put(token, result)
        decision = evaluate(result["policyDocument"], method_arn(request))
        if decision is Decision.EXPLICIT_DENY:
            return gw.EXPLICIT_DENY
        if decision is Decision.IMPLICIT_DENY:
            return gw.ACCESS_DENIED
        latency_ms = int((time.perf_counter() - started) * 1000)
        return {
            "principalId": result["principalId"],
            **result.get("context", {}),
            "integrationLatency": latency_ms,
        }

    def _call_authorizer(
        self, authorizer: AuthorizerSpec, request: IncomingRequest, token: str
    ) -> dict[str, Any] | gw.GatewayError:
        function = self.functions[authorizer.function]
        try:
            result = function.invoke(
                token_event(request, token),
                min(function.spec.timeout_s, AUTHORIZER_WAIT_S),
                request.request_id,
            )
        except InvocationFailed as failed:
            if str(failed.error) == "Unauthorized":
                return gw.UNAUTHORIZED
            return gw.AUTHORIZER_FAILURE
        except InvocationTimeout:
            return gw.AUTHORIZER_FAILURE
        return result if _valid_authorizer_result(result) else gw.AUTHORIZER_FAILURE

    def _integrate(
        self, operation: Operation, event: dict[str, Any], request_id: str
    ) -> gw.GatewayResponse:
        function = self.functions[operation.function]
        integration_s = operation.timeout_ms / 1000
        try:
            result = function.invoke(event, min(function.spec.timeout_s, integration_s), request_id)
        except InvocationTimeout:
            # The function's own timeout fails the invocation (502); the gateway's
            # integration timeout answers 504 first when it is the shorter one.
            if integration_s < function.spec.timeout_s:
                return gw.INTEGRATION_TIMEOUT.response()
            return gw.INTEGRATION_FAILURE.response()
        except InvocationFailed:
            return gw.INTEGRATION_FAILURE.response()
        return _proxy_response(result)


def _valid_authorizer_result(result: Any) -> bool:
    if not isinstance(result, dict) or not isinstance(result.get("policyDocument"), dict):
        return False
    if not isinstance(result.get("principalId"), str | int):
        return False
    context = result.get("context", {})
    if context is None:
        result.pop("context")
        return True
    return isinstance(context, dict) and all(
        isinstance(value, str | int | float | bool) for value in context.values()
    )


def _proxy_response(result: Any) -> gw.GatewayResponse:
    """Map a Lambda proxy response to HTTP; anything malformed is a 502."""
    if not isinstance(result, dict):
        return gw.INTEGRATION_FAILURE.response()
    status = result.get("statusCode")
    body = result.get("body")
    headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return gw.INTEGRATION_FAILURE.response()
    if body is not None and not isinstance(body, str):
        return gw.INTEGRATION_FAILURE.response()
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        return gw.INTEGRATION_FAILURE.response()
    raw = (body or "").encode("utf-8")
    if result.get("isBase64Encoded") and body:
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError:
            return gw.INTEGRATION_FAILURE.response()
    header_list = [(str(k), str(v)) for k, v in headers.items()]
    for key, values in multi.items():
        if isinstance(values, list):
            header_list.extend((str(key), str(v)) for v in values)
    if not any(k.lower() == "content-type" for k, _ in header_list):
        header_list.append(("Content-Type", "application/json"))
    return gw.GatewayResponse(status, header_list, raw)

"""The gateway core: request in, response out, as an API Gateway REST API stage does.

No transport here: `app.py` adapts it to HTTP; `respond` is the coroutine the adapter awaits.
"""

from __future__ import annotations

import json
from typing import Any

from books_api.local.gateway import cors, custom_responses
from books_api.local.gateway import responses as gw
from books_api.local.gateway.access_log import AccessEntry, AccessLog
from books_api.local.gateway.authorizer_cache import AuthorizerCache
from books_api.local.gateway.authorizers import Authorizers
from books_api.local.gateway.document import ApiSpec, Operation
from books_api.local.gateway.proxy_response import to_gateway_response
from books_api.local.gateway.router import Router
from books_api.local.gateway.throttle import TokenBucket
from books_api.local.lambda_runtime.environments import InvocationFailed, InvocationTimeout
from books_api.local.lambda_runtime.events import (
    IncomingRequest,
    now_ms,
    proxy_event_arguments,
    proxy_event_from,
    request_time,
)
from books_api.local.lambda_runtime.function import LambdaFunction

# API Gateway REST APIs refuse request bodies over 10 MB.
MAX_REQUEST_BODY = 10 * 1024 * 1024
# Lambda refuses synchronous invocations whose event is over 6 MB.
MAX_LAMBDA_REQUEST = 6 * 1024 * 1024


class Gateway:
    def __init__(
        self,
        spec: ApiSpec,
        functions: dict[str, LambdaFunction],
        access_log: AccessLog | None = None,
        stage: str = "prod",
        throttle: TokenBucket | None = None,
    ) -> None:
        self.spec = spec
        self.stage = stage
        self.functions = functions
        self.router = Router(spec.operations)
        self.authorizers = Authorizers(spec.authorizers, functions, spec.stage_variables)
        self.access_log = access_log
        self.throttle = throttle or TokenBucket()
        self.custom_responses = custom_responses.parse(spec.gateway_responses)

    @property
    def caches(self) -> dict[str, AuthorizerCache[Any]]:
        """Each authorizer's result cache, by security scheme name."""
        return self.authorizers.caches

    def close(self) -> None:
        """Stop every function's execution environments."""
        for function in self.functions.values():
            function.close()

    async def respond(self, request: IncomingRequest) -> gw.GatewayResponse:
        entry = AccessEntry(
            request_id=request.request_id,
            extended_request_id=request.extended_request_id,
            ip=request.source_ip,
            request_time_epoch=request.request_time_epoch_ms,
            http_method=request.method,
            stage=request.stage,
        )
        if request.too_large:
            response = gw.GatewayResponse(
                gw.CONTENT_LENGTH_EXCEEDED.status,
                list(gw.CONTENT_LENGTH_EXCEEDED.headers),
                gw.CONTENT_LENGTH_EXCEEDED.body,
            )
        elif not self.throttle.take():
            response = self._error(gw.THROTTLED, request, entry)
        else:
            match = self.router.match(request.method, request.path)
            if match is not None:
                entry.resource_path = match.operation.resource
                response = await self._authorized(
                    request, match.operation, match.path_parameters, entry
                )
            elif self.spec.cors is not None and cors.is_preflight(request):
                response = cors.preflight(self.spec.cors, request)
            else:
                response = self._error(gw.MISSING_AUTHENTICATION_TOKEN, request, entry)
            if self.spec.cors is not None and request.method != "OPTIONS":
                cors.add_response_headers(self.spec.cors, request, response.headers)
        response.headers.append(("x-amzn-RequestId", request.request_id))
        response.headers.append(("x-amz-apigw-id", request.extended_request_id))
        if self.access_log is not None:
            entry.user_agent = request.header("user-agent")
            entry.request_time = request_time(request.request_time_epoch_ms)
            entry.path = f"/{request.stage}{request.path}"
            entry.status = response.status
            entry.response_length = len(response.body)
            entry.response_latency = max(0, now_ms() - request.request_time_epoch_ms)
            self.access_log.write(entry)
        return response

    async def _authorized(
        self,
        request: IncomingRequest,
        operation: Operation,
        path_parameters: dict[str, str] | None,
        entry: AccessEntry,
    ) -> gw.GatewayResponse:
        authorizer_context: dict[str, Any] | None = None
        if operation.authorizer is not None:
            outcome = await self.authorizers.authorize(request, operation, path_parameters)
            if isinstance(outcome, gw.GatewayError):
                return self._error(outcome, request, entry)
            authorizer_context = outcome
            principal = outcome.get("principalId")
            entry.principal_id = principal if isinstance(principal, str) else None
        if operation.mock is not None:
            mock = operation.mock
            headers = list(mock.headers)
            if not any(name.lower() == "content-type" for name, _ in headers):
                headers.append(("Content-Type", "application/json"))
            entry.integration_status = mock.status
            return gw.GatewayResponse(mock.status, headers, mock.body)
        arguments = proxy_event_arguments(
            request,
            operation.resource,
            path_parameters,
            authorizer_context,
            self.spec.binary_media_types,
            self.spec.stage_variables,
        )
        too_large = len(request.body) > MAX_LAMBDA_REQUEST // 2
        if too_large and _event_size(arguments) > MAX_LAMBDA_REQUEST:
            return self._error(gw.REQUEST_TOO_LARGE, request, entry)
        result = await self._integrate(operation, arguments, request.request_id)
        if isinstance(result, gw.GatewayError):
            response = self._error(result, request, entry)
        else:
            response = result
            entry.integration_status = result.status
        trace = request.header("x-amzn-trace-id")
        if trace is not None:  # a Lambda integration's answer carries the trace id
            response.headers.append(("X-Amzn-Trace-Id", trace))
        return response

    def _error(
        self, error: gw.GatewayError, request: IncomingRequest, entry: AccessEntry
    ) -> gw.GatewayResponse:
        entry.error_message = error.message
        entry.error_response_type = error.response_type
        if not self.custom_responses:
            return error.response()
        return custom_responses.render(error, self.custom_responses, request)

    async def _integrate(
        self, operation: Operation, arguments: tuple[Any, ...], request_id: str
    ) -> gw.GatewayResponse | gw.GatewayError:
        assert operation.function is not None
        function = self.functions[operation.function]
        integration_s = operation.timeout_ms / 1000
        try:
            result = await function.invoke_proxy(arguments, integration_s, request_id)
        except InvocationTimeout:
            # The integration timeout (504); the function's own timeout fails the
            # invocation instead (502), whichever comes first.
            return gw.INTEGRATION_TIMEOUT
        except InvocationFailed:
            return gw.INTEGRATION_FAILURE
        return to_gateway_response(result)


def _event_size(arguments: tuple[Any, ...]) -> int:
    """The size of the proxy event as Lambda receives it (JSON)."""
    return len(json.dumps(proxy_event_from(arguments)).encode("utf-8"))

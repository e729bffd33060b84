"""The events API Gateway sends to Lambda: TOKEN and REQUEST authorizer events and proxy events
(v1). The gateway and `books-api generate-event` build them here, and nowhere else."""

from __future__ import annotations

import base64
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from books_api.local.lambda_runtime.context import ACCOUNT_ID, REGION

API_ID = "local"
RESOURCE_ID = "local0"


@dataclass(slots=True)
class IncomingRequest:
    """A request as the gateway sees it, without any transport."""

    method: str
    path: str  # without the stage
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]  # names as the client sent them
    body: bytes
    source_ip: str
    stage: str
    host: str = "127.0.0.1"
    request_id: str = ""
    request_time_epoch_ms: int = 0
    too_large: bool = False  # the body passed the gateway's limit and was not read
    _by_name: dict[str, str] | None = field(default=None, repr=False, compare=False)
    _extended_id: str = field(default="", repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name (the last one, when repeated)."""
        by_name = self._by_name
        if by_name is None:
            by_name = self._by_name = {key.lower(): value for key, value in self.headers}
        return by_name.get(name.lower())

    @property
    def extended_request_id(self) -> str:
        if not self._extended_id:
            self._extended_id = extended_request_id(self.request_id)
        return self._extended_id


_ID_PREFIX = str(uuid.uuid4())[:23]  # random per process: "xxxxxxxx-xxxx-4xxx-yxxx"
_ID_COUNTER = itertools.count(random.getrandbits(40))


def new_request_id() -> str:
    """A UUID-shaped id, unique per process (a random prefix and a counter): much cheaper
    than uuid4() per request."""
    return f"{_ID_PREFIX}-{next(_ID_COUNTER) & 0xFFFFFFFFFFFF:012x}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def method_arn(request: IncomingRequest) -> str:
    return (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{request.stage}/"
        f"{request.method}{request.path}"
    )


def token_event(request: IncomingRequest, token: str) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn(request)}


def extended_request_id(request_id: str) -> str:
    """A stand-in for `$context.extendedRequestId` (also sent as `x-amz-apigw-id`)."""
    digits = request_id.replace("-", "")[-20:]
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raw = request_id.encode()[:10]
    return base64.b64encode(raw).decode()


_last_second: list[Any] = [-1, ""]


def request_time(epoch_ms: int) -> str:
    """`25/Nov/2026:12:00:00 +0000`, the format of `$context.requestTime`."""
    second = epoch_ms // 1000
    cached = _last_second
    if cached[0] != second:
        moment = datetime.fromtimestamp(second, UTC)
        cached[1] = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
        cached[0] = second
    return str(cached[1])


def _multi(
    pairs: list[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value  # API Gateway keeps the last value in the single-value map
        multi.setdefault(key, []).append(value)
    return single, multi


def proxy_event(
    request: IncomingRequest,
    resource: str,
    path_parameters: dict[str, str] | None,
    authorizer: dict[str, Any] | None,
    binary_media_types: tuple[str, ...] = (),
    stage_variables: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = _request_fields(request, resource)
    event["pathParameters"] = path_parameters
    event["stageVariables"] = stage_variables or None
    context = request_context(request, resource)
    if authorizer is not None:
        context["authorizer"] = authorizer
    event["requestContext"] = context
    event["body"], event["isBase64Encoded"] = _body(request, binary_media_types)
    return event


def request_event(
    request: IncomingRequest,
    resource: str,
    path_parameters: dict[str, str] | None,
    stage_variables: dict[str, str] | None,
) -> dict[str, Any]:
    """A REQUEST authorizer's event: the proxy event's request fields without the body, with
    `type` and `methodArn`; absent parameters are empty maps, as in AWS's example."""
    event: dict[str, Any] = {"type": "REQUEST", "methodArn": method_arn(request)}
    event.update(_request_fields(request, resource))
    for key in ("queryStringParameters", "multiValueQueryStringParameters"):
        event[key] = event[key] or {}
    event["pathParameters"] = path_parameters or {}
    event["stageVariables"] = stage_variables or {}
    event["requestContext"] = request_context(request, resource)
    return event


def _request_fields(request: IncomingRequest, resource: str) -> dict[str, Any]:
    headers, multi_headers = _multi(request.headers)
    query, multi_query = _multi(request.query)
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
    }


def request_context(request: IncomingRequest, resource: str) -> dict[str, Any]:
    """`requestContext` without `authorizer` (the `$context` variables of the request)."""
    return {
        "resourceId": RESOURCE_ID,
        "resourcePath": resource,
        "httpMethod": request.method,
        "extendedRequestId": request.extended_request_id,
        "requestTime": request_time(request.request_time_epoch_ms),
        "path": f"/{request.stage}{request.path}",
        "accountId": ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": request.stage,
        "domainPrefix": request.host.split(".")[0],
        "requestTimeEpoch": request.request_time_epoch_ms,
        "requestId": request.request_id,
        "identity": _identity(request.source_ip, request.header("user-agent")),
        "domainName": request.host,
        "apiId": API_ID,
    }


def proxy_event_arguments(
    request: IncomingRequest,
    resource: str,
    path_parameters: dict[str, str] | None,
    authorizer: dict[str, Any] | None,
    binary_media_types: tuple[str, ...] = (),
    stage_variables: dict[str, str] | None = None,
) -> tuple[Any, ...]:
    """What `proxy_event_from` needs to build the same event as `proxy_event` (plain values)."""
    return (
        request.method,
        request.path,
        request.query,
        request.headers,
        request.body,
        request.source_ip,
        request.stage,
        request.host,
        request.request_id,
        request.request_time_epoch_ms,
        resource,
        path_parameters,
        authorizer,
        binary_media_types,
        stage_variables,
    )


def proxy_event_from(arguments: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    (method, path, query, headers, body, source_ip, stage, host, request_id, epoch_ms,
     resource, path_parameters, authorizer, binary_media_types,
     stage_variables) = arguments  # fmt: skip
    request = IncomingRequest(
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        source_ip=source_ip,
        stage=stage,
        host=host,
        request_id=request_id,
        request_time_epoch_ms=epoch_ms,
    )
    return proxy_event(
        request, resource, path_parameters, authorizer, tuple(binary_media_types), stage_variables
    )


def _identity(source_ip: str, user_agent: str | None) -> dict[str, Any]:
    return {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": user_agent,
        "user": None,
        "apiKey": None,
        "apiKeyId": None,
        "clientCert": None,
    }


def _body(request: IncomingRequest, binary_media_types: tuple[str, ...]) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if binary_media_types and _is_binary(request.header("content-type"), binary_media_types):
        return base64.b64encode(request.body).decode("ascii"), True
    try:
        return request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(request.body).decode("ascii"), True


def _is_binary(content_type: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """API Gateway base64-encodes bodies whose Content-Type is a binary media type."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    for pattern in binary_media_types:
        wanted = pattern.lower()
        if wanted in ("*/*", media):
            return True
        if wanted.endswith("/*") and media.startswith(wanted[:-1]):
            return True
    return False

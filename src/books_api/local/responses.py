"""API Gateway's own responses (gateway responses), with the bodies and error types AWS sends."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class GatewayError:
    status: int
    error_type: str
    body: bytes

    def response(self) -> GatewayResponse:
        return GatewayResponse(
            self.status,
            [("Content-Type", "application/json"), ("x-amzn-ErrorType", self.error_type)],
            self.body,
        )


def _body(key: str, message: str | None) -> bytes:
    return json.dumps({key: message}, separators=(",", ":")).encode()


MISSING_AUTHENTICATION_TOKEN = GatewayError(
    403, "MissingAuthenticationTokenException", _body("message", "Missing Authentication Token")
)
UNAUTHORIZED = GatewayError(401, "UnauthorizedException", _body("message", "Unauthorized"))
EXPLICIT_DENY = GatewayError(
    403,
    "AccessDeniedException",
    _body("Message", "User is not authorized to access this resource with an explicit deny"),
)
ACCESS_DENIED = GatewayError(
    403, "AccessDeniedException", _body("Message", "User is not authorized to access this resource")
)
AUTHORIZER_FAILURE = GatewayError(500, "AuthorizerConfigurationException", _body("message", None))
INTEGRATION_FAILURE = GatewayError(
    502, "InternalServerErrorException", _body("message", "Internal server error")
)
INTEGRATION_TIMEOUT = GatewayError(
    504, "InternalServerErrorException", _body("message", "Endpoint request timed out")
)
REQUEST_TOO_LARGE = GatewayError(
    413, "RequestTooLargeException", _body("message", "Request Too Long")
)
THROTTLED = GatewayError(429, "TooManyRequestsException", _body("message", "Too Many Requests"))

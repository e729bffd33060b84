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
    error_type: str  # the x-amzn-ErrorType header
    body: bytes
    response_type: str = "DEFAULT_4XX"  # the gateway response type a document may customise
    message: str | None = None  # $context.error.message

    def response(self) -> GatewayResponse:
        return GatewayResponse(
            self.status,
            [("Content-Type", "application/json"), ("x-amzn-ErrorType", self.error_type)],
            self.body,
        )


def _body(key: str, message: str | None) -> bytes:
    return json.dumps({key: message}, separators=(",", ":")).encode()


def _error(
    status: int, error_type: str, response_type: str, message: str | None, key: str = "message"
) -> GatewayError:
    return GatewayError(status, error_type, _body(key, message), response_type, message)


MISSING_AUTHENTICATION_TOKEN = _error(
    403,
    "MissingAuthenticationTokenException",
    "MISSING_AUTHENTICATION_TOKEN",
    "Missing Authentication Token",
)
# A stage the API does not have (names are case-sensitive): no resource of any API is looked
# up, so the stage's gateway responses do not apply either.
FORBIDDEN = _error(403, "ForbiddenException", "DEFAULT_4XX", "Forbidden")
UNAUTHORIZED = _error(401, "UnauthorizedException", "UNAUTHORIZED", "Unauthorized")
EXPLICIT_DENY = _error(
    403,
    "AccessDeniedException",
    "ACCESS_DENIED",
    "User is not authorized to access this resource with an explicit deny",
    key="Message",
)
ACCESS_DENIED = _error(
    403,
    "AccessDeniedException",
    "ACCESS_DENIED",
    "User is not authorized to access this resource",
    key="Message",
)
AUTHORIZER_FAILURE = _error(
    500, "AuthorizerConfigurationException", "AUTHORIZER_CONFIGURATION_ERROR", None
)
# A failed Lambda proxy invocation has no response type of its own: DEFAULT_5XX applies.
# Errors of the integration itself are written with a space after the colon, unlike the
# gateway's own responses above (as captured from deployed APIs).
INTEGRATION_FAILURE = GatewayError(
    502,
    "InternalServerErrorException",
    b'{"message": "Internal server error"}',
    "DEFAULT_5XX",
    "Internal server error",
)
INTEGRATION_TIMEOUT = GatewayError(
    504,
    "InternalServerErrorException",
    b'{"message": "Endpoint request timed out"}',
    "INTEGRATION_TIMEOUT",
    "Endpoint request timed out",
)
# A body over API Gateway's 10 MB is refused at the front door, in plain text and without an
# error type (a documented gateway response cannot change it).
CONTENT_LENGTH_EXCEEDED = GatewayResponse(
    413,
    [("Content-Type", "text; charset=utf-8")],
    b"HTTP content length exceeded 10485760 bytes.",
)
# An event over Lambda's 6 MB request limit: Lambda refuses the invocation and API Gateway
# answers 413 (note the space after the colon in this body).
REQUEST_TOO_LARGE = GatewayError(
    413,
    "BadRequestException",
    b'{"message": "Request Too Long"}',
    "REQUEST_TOO_LARGE",
    "Request Too Long",
)
THROTTLED = _error(429, "TooManyRequestsException", "THROTTLED", "Too Many Requests")

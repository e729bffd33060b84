"""The TOKEN authorizer Lambda function: verify the JWT, answer with an IAM policy.

The settings are read and the key source is chosen once, at cold start; see
`books_api.auth.authorizer` for the decision itself and `books_api.telemetry.authorizer`
for its metrics and trace.
"""

from __future__ import annotations

from typing import Any

from books_api.auth.authorizer import Authorizer
from books_api.settings import AuthSettings, TelemetrySettings
from books_api.telemetry.authorizer import AuthorizerTelemetry

telemetry = AuthorizerTelemetry(TelemetrySettings.from_env("authorizer"))
authorizer = Authorizer(AuthSettings.from_env(), observer=telemetry)


@telemetry.handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorizer.handle(event, context)

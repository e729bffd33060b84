"""The TOKEN authorizer Lambda function: verify the JWT, answer with an IAM policy.

API Gateway answers 401 when the authorizer raises `Exception("Unauthorized")`, 403 for a
policy that denies, and 500 for anything else, so every failure here ends as Unauthorized.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from books_api.auth.policy import MethodArn, build_policy
from books_api.auth.tokens import TokenRejected, strip_bearer, verify_hs256
from books_api.settings import AuthSettings

logger = Logger()
settings = AuthSettings.from_env()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return _decide(event)
    except TokenRejected as rejected:
        logger.info("Token rejected", extra={"decision": "unauthorized", "reason": rejected.reason})
    except Exception as error:  # never let anything but Unauthorized escape
        logger.error(
            "Authorizer failure", extra={"decision": "unauthorized", "reason": type(error).__name__}
        )
    raise Exception("Unauthorized")  # the exact error API Gateway maps to 401


def _decide(event: dict[str, Any]) -> dict[str, Any]:
    if settings.jwt_secret is None:
        raise TokenRejected("no key configured")
    header = event.get("authorizationToken")
    if not isinstance(header, str):
        raise TokenRejected("missing token")
    method_arn = MethodArn.parse(str(event.get("methodArn", "")))
    claims = verify_hs256(strip_bearer(header), settings.jwt_secret)
    subject = claims.get("sub")
    role = claims.get(settings.role_claim)
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("missing claim sub")
    every_route = method_arn.with_route("*", "*")
    context = {"sub": subject, "role": role if isinstance(role, str) else ""}
    if role in settings.allowed_roles:
        logger.info("Token allowed", extra={"decision": "allow", "sub": subject})
        return build_policy(subject, "Allow", [every_route], context)
    logger.info(
        "Role not allowed", extra={"decision": "deny", "sub": subject, "reason": "role not allowed"}
    )
    return build_policy(subject, "Deny", [every_route], context)

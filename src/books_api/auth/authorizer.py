"""The TOKEN authorizer's decision: verify the JWT, map its roles to routes, build the policy.

API Gateway answers 401 when the function fails with the message `Unauthorized`, 403 for a
policy that denies, and 500 for anything else; so every failure here ends as Unauthorized.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from books_api.auth import claims as claim_rules
from books_api.auth import tokens
from books_api.auth.keys import ConfigurationError, KeySource
from books_api.auth.permissions import EVERY_ROUTE, Permissions
from books_api.auth.policy import MethodArn, build_policy
from books_api.auth.sources import key_source
from books_api.auth.tokens import TokenRejected
from books_api.settings import AuthSettings

ANONYMOUS = "anonymous"  # the principal of a token without `sub`


class Unauthorized(Exception):
    """The one error the authorizer raises; API Gateway maps its message to a 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class DecisionObserver(Protocol):
    """Told of every decision and key-source fetch (the function's metrics)."""

    def decided(self, outcome: str, reason: str) -> None:
        """`outcome` is Allow, Deny or Unauthorized; `reason` the logged reason."""

    def fetched(self, source: str, seconds: float, ok: bool) -> None:
        """A fetch from `source` (secrets_manager, ssm, jwks) took `seconds`."""


class Authorizer:
    """Built once per container from the settings; `handle` is the Lambda handler's body."""

    def __init__(
        self,
        settings: AuthSettings,
        logger: Logger | None = None,
        clock: Callable[[], float] = time.time,
        observer: DecisionObserver | None = None,
    ) -> None:
        self.logger = logger or Logger(service=settings.service_name, level=settings.log_level)
        self.observer = observer
        self.role_claim = settings.role_claim
        self.rules = claim_rules.ClaimRules(
            settings.leeway_s, settings.issuers, settings.audiences, settings.required_claims
        )
        self.clock = clock
        self.problem: str | None = None
        self.keys: KeySource | None = None
        self.algorithms: frozenset[str] = frozenset()
        self.permissions = Permissions({})
        try:
            if settings.problems:
                raise ConfigurationError("; ".join(settings.problems))
            keys, self.algorithms = key_source(
                settings, self._key_source_failed, self._fetched if observer else None
            )
            self.permissions = Permissions(settings.role_permissions)
            self.keys = keys
        except ConfigurationError as error:
            self.problem = str(error)
            self.logger.error(
                "Authorizer configuration refused: every request answers 401",
                extra={"reason": self.problem},
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str], logger: Logger | None = None) -> Authorizer:
        return cls(AuthSettings.from_env(env), logger)

    def handle(self, event: Any, context: Any = None) -> dict[str, Any]:
        """The policy for a TOKEN event; raise Unauthorized for anything else."""
        request_id = getattr(context, "aws_request_id", None)
        method_arn = event.get("methodArn") if isinstance(event, dict) else None
        method_arn = method_arn if isinstance(method_arn, str) else None
        try:
            response = self.decide(event)
        except TokenRejected as rejected:
            self._log("unauthorized", rejected.reason, request_id, method_arn)
            self._observe("Unauthorized", rejected.reason)
        except Exception as error:  # nothing but Unauthorized may escape
            reason = f"internal error {type(error).__name__}"
            self.logger.error(
                "Authorizer decision",
                extra={
                    "decision": "unauthorized",
                    "reason": reason,
                    "function_request_id": request_id,
                    "method_arn": method_arn,
                },
            )
            self._observe("Unauthorized", reason)
        else:
            effect = response["policyDocument"]["Statement"][0]["Effect"]
            decision, reason = (
                ("allow", "role permits routes")
                if effect == "Allow"
                else ("deny", "no route permitted for the role")
            )
            self._log(decision, reason, request_id, method_arn, response["principalId"])
            self._observe(effect, reason)
            return response
        raise Unauthorized()

    def decide(self, event: Any) -> dict[str, Any]:
        """The policy for a TOKEN event; raise TokenRejected when the token is not trusted."""
        if self.keys is None:
            raise TokenRejected("authorizer misconfigured")
        if not isinstance(event, dict):
            raise TokenRejected("malformed event")
        header = event.get("authorizationToken")
        if not isinstance(header, str) or not header:
            raise TokenRejected("missing token")
        stage = _stage_arn(str(event.get("methodArn", "")))
        token = tokens.parse(tokens.strip_bearer(header), self.algorithms)
        tokens.verify_signature(token, self.keys.key_for(token))
        subject = claim_rules.check(token.claims, self.rules, self.clock())
        roles = claim_rules.roles(token.claims, self.role_claim)
        routes = self.permissions.routes_for(roles)
        context = {
            "sub": subject,
            "role": ",".join(roles),
            "scopes": claim_rules.scopes(token.claims),
        }
        principal = subject or ANONYMOUS
        if routes:
            return build_policy(principal, "Allow", [f"{stage}/{r}" for r in routes], context)
        return build_policy(principal, "Deny", [f"{stage}/{EVERY_ROUTE}"], context)

    def _log(
        self,
        decision: str,
        reason: str,
        request_id: str | None,
        method_arn: str | None,
        sub: str | None = None,
    ) -> None:
        extra: dict[str, Any] = {
            "decision": decision,
            "reason": reason,
            "function_request_id": request_id,
            # A TOKEN event has no API request id: the method ARN names the request's route.
            "method_arn": method_arn,
        }
        if sub is not None:
            extra["sub"] = sub
        self.logger.info("Authorizer decision", extra=extra)

    def _observe(self, outcome: str, reason: str) -> None:
        if self.observer is None:
            return
        try:
            self.observer.decided(outcome, reason)
        except Exception:  # metrics must never change a decision
            self.logger.exception("Decision metric not recorded")

    def _fetched(self, source: str, seconds: float, ok: bool) -> None:
        try:
            if self.observer is not None:
                self.observer.fetched(source, seconds, ok)
        except Exception:
            self.logger.exception("Key source metric not recorded")

    def _key_source_failed(self, reason: str) -> None:
        self.logger.warning("Key source failure", extra={"reason": reason})


@lru_cache(maxsize=256)
def _stage_arn(method_arn: str) -> str:
    """`arn:...:{api_id}/{stage}` of the incoming methodArn (few distinct values per stage)."""
    try:
        return MethodArn.parse(method_arn).stage_arn
    except ValueError:
        raise TokenRejected("malformed methodArn") from None

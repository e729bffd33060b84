"""The authorizer's telemetry: one EMF record per decision and per key-source fetch."""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics

from books_api.settings import TelemetrySettings
from books_api.telemetry import catalogue
from books_api.telemetry.tracing import FunctionTracer, Handler, function_tracer

# TokenRejected reasons (books_api.auth) by the start of their text -> reason category.
_CATEGORIES = (
    ("expired", "expired"),
    ("bad signature", "bad_signature"),
    ("malformed", "malformed"),
    ("missing token", "malformed"),
    ("token too long", "malformed"),
    ("algorithm not allowed", "malformed"),
    ("unsupported critical header", "malformed"),
    ("missing claim", "claims"),
    ("mistyped claim", "claims"),
    ("wrong claim", "claims"),
    ("wrong issuer", "claims"),
    ("wrong audience", "claims"),
    ("not yet valid", "claims"),
    ("issued in the future", "claims"),
    ("unknown kid", "unknown_key"),
    ("token has no kid", "unknown_key"),
    ("key does not fit", "unknown_key"),
    ("unusable JWK", "unknown_key"),
    ("RSA key shorter", "unknown_key"),
    ("secret unavailable", "key_source_unavailable"),
    ("authorizer misconfigured", "misconfigured"),
    ("internal error", "internal_error"),
)


def reason_category(outcome: str, reason: str) -> str:
    """The `reason` dimension of a decision: a category, never the free text."""
    if outcome == catalogue.ALLOW:
        return "permitted"
    if outcome == catalogue.DENY:
        return "role"
    for start, category in _CATEGORIES:
        if reason.startswith(start):
            return category
    return "other"


class AuthorizerTelemetry:
    """The authorizer's observer (`books_api.auth.authorizer.DecisionObserver`)."""

    def __init__(self, settings: TelemetrySettings) -> None:
        self.service = settings.service_name
        self.namespace = settings.metrics_namespace
        self.tracer: FunctionTracer = function_tracer(settings)

    def handler(self, function: Handler) -> Handler:
        return self.tracer.capture_lambda_handler(function)

    def decided(self, outcome: str, reason: str) -> None:
        self.tracer.put_annotation("outcome", outcome)
        record = self._record()
        record.add_dimension(catalogue.OUTCOME, outcome)
        record.add_dimension(catalogue.REASON, reason_category(outcome, reason))
        record.add_dimensions(**{catalogue.SERVICE: self.service, catalogue.OUTCOME: outcome})
        record.add_metric(catalogue.DECISIONS.name, catalogue.DECISIONS.unit, 1)
        record.flush_metrics()

    def fetched(self, source: str, seconds: float, ok: bool) -> None:
        """A fetch of the secret or of the JWKS document, successful or not."""
        record = self._record()
        record.add_dimension(catalogue.KEY_SOURCE, source)
        latency = catalogue.KEY_SOURCE_FETCH_LATENCY
        record.add_metric(latency.name, latency.unit, round(seconds * 1000, 3))
        if not ok:
            failures = catalogue.KEY_SOURCE_FETCH_FAILURES
            record.add_metric(failures.name, failures.unit, 1)
        record.flush_metrics()
        if source == catalogue.JWKS and ok:
            refreshed = self._record()
            refreshed.add_metric(catalogue.JWKS_REFRESHES.name, catalogue.JWKS_REFRESHES.unit, 1)
            refreshed.flush_metrics()

    def _record(self) -> EphemeralMetrics:
        # Each record has its own dimensions: a fetch is not a decision.
        return EphemeralMetrics(namespace=self.namespace, service=self.service)

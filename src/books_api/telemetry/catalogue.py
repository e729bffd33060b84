"""Every custom metric the functions emit: name, unit, dimension sets and dimension values.

This module is the one list. The functions publish only what is declared here (through
Powertools Metrics, in CloudWatch embedded metric format), and the Terraform checks in
tests/infra read it: an alarm or a dashboard widget may name only these metrics, with one of
their dimension sets.

Dimensions stay low-cardinality: the function's service name, the operation, a status class,
a decision outcome and reason category, a key source. Never a user, token or book id (a
request id may ride along as EMF metadata, which is not a dimension).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "BooksApi"  # POWERTOOLS_METRICS_NAMESPACE when unset

# Dimension names.
SERVICE = "service"  # POWERTOOLS_SERVICE_NAME of the function: books, authorizer
OPERATION = "operation"
STATUS_CLASS = "status_class"
OUTCOME = "outcome"
REASON = "reason"
KEY_SOURCE = "key_source"

# The values each dimension may take.
OPERATIONS = ("list_books", "get_book", "create_book", "update_book", "delete_book")
UNKNOWN_OPERATION = "unknown"  # a route the function does not serve (404)
STATUS_CLASSES = ("2xx", "4xx", "5xx")
ALLOW, DENY, UNAUTHORIZED = "Allow", "Deny", "Unauthorized"
OUTCOMES = (ALLOW, DENY, UNAUTHORIZED)
REASONS = (
    "permitted",  # Allow: the role permits routes
    "role",  # Deny: no route permitted for the role
    "expired",
    "bad_signature",
    "malformed",  # the token, its header, payload, kid, or the event itself
    "claims",  # not yet valid, issued in the future, issuer, audience, required claims
    "unknown_key",  # no key of the key source has the token's kid or fits its algorithm
    "key_source_unavailable",  # the secret could not be fetched
    "misconfigured",  # the authorizer's settings were refused at cold start
    "internal_error",
    "other",  # any other reason a token is refused
)
SECRETS_MANAGER, SSM, JWKS = "secrets_manager", "ssm", "jwks"
KEY_SOURCES = (SECRETS_MANAGER, SSM, JWKS)

DIMENSION_VALUES: dict[str, tuple[str, ...]] = {
    OPERATION: (*OPERATIONS, UNKNOWN_OPERATION),
    STATUS_CLASS: STATUS_CLASSES,
    OUTCOME: OUTCOMES,
    REASON: REASONS,
    KEY_SOURCE: KEY_SOURCES,
}

# Dimension sets. EMF publishes every metric of a record under each set of the record: the
# detailed set for graphs, the short one for alarms (an alarm needs one exact set).
REQUEST_DIMENSIONS = ((SERVICE, OPERATION, STATUS_CLASS), (SERVICE,))
DECISION_DIMENSIONS = ((SERVICE, OUTCOME, REASON), (SERVICE, OUTCOME))
KEY_SOURCE_DIMENSIONS = ((SERVICE, KEY_SOURCE),)


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # a CloudWatch unit
    service: str  # the function that emits it (its POWERTOOLS_SERVICE_NAME default)
    dimension_sets: tuple[tuple[str, ...], ...]


# books: one record per request, under REQUEST_DIMENSIONS.
REQUESTS = Metric("Requests", "Count", "books", REQUEST_DIMENSIONS)
VALIDATION_REJECTIONS = Metric("ValidationRejections", "Count", "books", REQUEST_DIMENSIONS)
CONFLICTS = Metric("Conflicts", "Count", "books", REQUEST_DIMENSIONS)
PRECONDITION_FAILURES = Metric("PreconditionFailures", "Count", "books", REQUEST_DIMENSIONS)
STORE_UNAVAILABLE = Metric("StoreUnavailable", "Count", "books", REQUEST_DIMENSIONS)
STORE_LATENCY = Metric("StoreLatency", "Milliseconds", "books", REQUEST_DIMENSIONS)

# authorizer: one record per decision, and one per key-source fetch.
DECISIONS = Metric("AuthorizerDecisions", "Count", "authorizer", DECISION_DIMENSIONS)
KEY_SOURCE_FETCH_LATENCY = Metric(
    "KeySourceFetchLatency", "Milliseconds", "authorizer", KEY_SOURCE_DIMENSIONS
)
KEY_SOURCE_FETCH_FAILURES = Metric(
    "KeySourceFetchFailures", "Count", "authorizer", KEY_SOURCE_DIMENSIONS
)
JWKS_REFRESHES = Metric("JwksRefreshes", "Count", "authorizer", ((SERVICE,),))

METRICS = (
    REQUESTS,
    VALIDATION_REJECTIONS,
    CONFLICTS,
    PRECONDITION_FAILURES,
    STORE_UNAVAILABLE,
    STORE_LATENCY,
    DECISIONS,
    KEY_SOURCE_FETCH_LATENCY,
    KEY_SOURCE_FETCH_FAILURES,
    JWKS_REFRESHES,
)

# The books function's answers that have a counter of their own.
STATUS_COUNTERS = {
    400: VALIDATION_REJECTIONS,
    409: CONFLICTS,
    412: PRECONDITION_FAILURES,
    503: STORE_UNAVAILABLE,
}


def status_class(status: int) -> str:
    """`2xx`, `4xx` or `5xx` (anything else, which the function never answers, is `5xx`)."""
    if 200 <= status < 300:
        return "2xx"
    if 400 <= status < 500:
        return "4xx"
    return "5xx"

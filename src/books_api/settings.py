"""Configuration, read once from environment variables at cold start (Lambda's convention).

Each function reads only its own part: `BooksSettings` for the books function,
`AuthSettings` for the authorizer. Locally the gateway sets each function's variables
from `openapi/functions.yaml`; in AWS, the Terraform module sets the same names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from books_api.telemetry.catalogue import DEFAULT_NAMESPACE

DEFAULT_REGION = "us-east-1"
DEFAULT_TABLE = "Books_Table"


@dataclass(frozen=True)
class DynamoDBLocation:
    """Where the DynamoDB store is, resolved in this one place for the CLI, the local Lambda
    runtime and the books function: each value from the command line (the arguments given),
    else the environment (the shell; in an execution environment, the function's variables),
    else the default.

        table     BOOKS_TABLE, then Books_Table
        region    AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1
        endpoint  AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL, then AWS's own endpoint
    """

    table: str
    region: str
    endpoint_url: str | None

    @classmethod
    def resolve(
        cls,
        env: Mapping[str, str] = os.environ,
        table: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
    ) -> DynamoDBLocation:
        return cls(
            table=_first(table, env.get("BOOKS_TABLE")) or DEFAULT_TABLE,
            region=_first(region, env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"))
            or DEFAULT_REGION,
            endpoint_url=_first(
                endpoint_url, env.get("AWS_ENDPOINT_URL_DYNAMODB"), env.get("AWS_ENDPOINT_URL")
            ),
        )

    def describe(self) -> str:
        where = f"DynamoDB table {self.table}, region {self.region}"
        return where + (f", endpoint {self.endpoint_url}" if self.endpoint_url else "")


def aws_region(env: Mapping[str, str] = os.environ) -> str:
    """The region, resolved as `DynamoDBLocation` resolves it (environment, then default)."""
    return DynamoDBLocation.resolve(env).region


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None


@dataclass(frozen=True)
class BooksSettings:
    """The books function's variables (names listed in openapi/functions.yaml).

    `BOOKS_CURSOR_KEY` signs pagination tokens. When it is unset, the store supplies a
    secret that every container of one deployment shares: SQLite keeps a random key in the
    database file; DynamoDB derives one from the table's identity (its `TableId`, a random
    id only `DescribeTable` reveals), so tokens stay valid until the table is re-created.
    """

    store: str  # BOOKS_STORE: "sqlite" or "dynamodb"
    db_path: str  # BOOKS_DB_PATH: SQLite file (store "sqlite")
    db_max_bytes: int | None  # BOOKS_DB_MAX_BYTES: a size limit for that file (writes past: 507)
    dynamodb: DynamoDBLocation  # BOOKS_TABLE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB
    cursor_key: bytes | None  # BOOKS_CURSOR_KEY; None: the store's default key

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BooksSettings:
        store = env.get("BOOKS_STORE", "dynamodb").strip().lower() or "dynamodb"
        db_path = env.get("BOOKS_DB_PATH", "").strip() or "books.db"
        cursor_key = env.get("BOOKS_CURSOR_KEY", "").strip()
        max_bytes = env.get("BOOKS_DB_MAX_BYTES", "").strip()
        return cls(
            store=store,
            db_path=db_path,
            db_max_bytes=int(max_bytes) if max_bytes.isdigit() else None,
            dynamodb=DynamoDBLocation.resolve(env),
            cursor_key=cursor_key.encode() if cursor_key else None,
        )


@dataclass(frozen=True)
class AuthSettings:
    """The authorizer's variables (names listed in openapi/functions.yaml).

    Reading never fails: a value that cannot be used is recorded in `problems`, and the
    authorizer then logs each problem once and answers every request with 401.
    """

    jwt_secret: str | None  # JWT_SECRET: local and development only
    jwt_secret_arn: str | None  # JWT_SECRET_ARN: Secrets Manager secret
    jwt_secret_parameter: str | None  # JWT_SECRET_PARAMETER: SSM SecureString parameter
    jwks_url: str | None  # JWKS_URL: public keys by `kid`
    jwks_min_refresh_s: float  # JWKS_MIN_REFRESH_SECONDS (default 60)
    algorithms: tuple[str, ...]  # JWT_ALGORITHMS; () means the key source's default
    allow_weak_secret: bool  # ALLOW_WEAK_SECRET=1 accepts secrets under 32 bytes
    leeway_s: float  # JWT_LEEWAY_SECONDS (default 30)
    issuers: tuple[str, ...]  # JWT_ISSUER, comma-separated; () means not checked
    audiences: tuple[str, ...]  # JWT_AUDIENCE, comma-separated; () means not checked
    required_claims: tuple[tuple[str, str | None], ...]  # REQUIRED_CLAIMS: name=value,...
    role_claim: str  # ROLE_CLAIM (default Role): a claim name or a dotted path
    role_permissions: dict[str, tuple[str, ...]]  # ROLE_PERMISSIONS: role -> route entries
    service_name: str  # POWERTOOLS_SERVICE_NAME
    log_level: str  # POWERTOOLS_LOG_LEVEL
    region: str | None = None  # AWS_REGION (set by Lambda): where the secret lives
    problems: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> AuthSettings:
        problems: list[str] = []

        def text(name: str) -> str | None:
            return env.get(name, "").strip() or None

        def number(name: str, default: float) -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if not 0 <= value <= 86_400:
                problems.append(f"{name} must be a number of seconds from 0 to 86400")
                return default
            return value

        return cls(
            jwt_secret=env.get("JWT_SECRET") or None,
            jwt_secret_arn=text("JWT_SECRET_ARN"),
            jwt_secret_parameter=text("JWT_SECRET_PARAMETER"),
            jwks_url=text("JWKS_URL"),
            jwks_min_refresh_s=number("JWKS_MIN_REFRESH_SECONDS", 60.0),
            algorithms=_comma_list(env.get("JWT_ALGORITHMS", "")),
            allow_weak_secret=env.get("ALLOW_WEAK_SECRET", "").strip().lower()
            in {"1", "true", "yes"},
            leeway_s=number("JWT_LEEWAY_SECONDS", 30.0),
            issuers=_comma_list(env.get("JWT_ISSUER", "")),
            audiences=_comma_list(env.get("JWT_AUDIENCE", "")),
            required_claims=_required_claims(env.get("REQUIRED_CLAIMS", ""), problems),
            role_claim=text("ROLE_CLAIM") or "Role",
            role_permissions=_role_permissions(env.get("ROLE_PERMISSIONS", ""), problems),
            service_name=text("POWERTOOLS_SERVICE_NAME") or "authorizer",
            log_level=_log_level(text("POWERTOOLS_LOG_LEVEL"), problems),
            region=text("AWS_REGION") or text("AWS_DEFAULT_REGION"),
            problems=tuple(problems),
        )


@dataclass(frozen=True)
class TelemetrySettings:
    """Metrics and tracing, for either function (both read the same names).

    Tracing needs the X-Ray SDK, whose import and recorder add to every cold start; it is
    loaded only in Lambda (`LAMBDA_TASK_ROOT`, set by Lambda) and unless
    `POWERTOOLS_TRACE_DISABLED` is true (the module sets it when its tracing_enabled is false;
    openapi/functions.yaml sets it locally).
    """

    service_name: str  # POWERTOOLS_SERVICE_NAME: the `service` dimension
    metrics_namespace: str  # POWERTOOLS_METRICS_NAMESPACE (default BooksApi)
    tracing: bool

    @classmethod
    def from_env(
        cls, default_service: str, env: Mapping[str, str] = os.environ
    ) -> TelemetrySettings:
        disabled = env.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in {"1", "true", "yes"}
        return cls(
            service_name=env.get("POWERTOOLS_SERVICE_NAME", "").strip() or default_service,
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "").strip()
            or DEFAULT_NAMESPACE,
            tracing=bool(env.get("LAMBDA_TASK_ROOT")) and not disabled,
        )


DEFAULT_ROLE_PERMISSIONS = {"api_user": ("*",)}
AUTH_VARIABLES = (
    "JWT_SECRET",
    "JWT_SECRET_ARN",
    "JWT_SECRET_PARAMETER",
    "JWKS_URL",
    "JWKS_MIN_REFRESH_SECONDS",
    "JWT_ALGORITHMS",
    "ALLOW_WEAK_SECRET",
    "JWT_LEEWAY_SECONDS",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "REQUIRED_CLAIMS",
    "ROLE_CLAIM",
    "ROLE_PERMISSIONS",
)
KEY_SOURCE_VARIABLES = AUTH_VARIABLES[:4]
# Set for both functions in openapi/functions.yaml (LAMBDA_TASK_ROOT is Lambda's own).
TELEMETRY_VARIABLES = ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_TRACE_DISABLED")


def _comma_list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _log_level(raw: str | None, problems: list[str]) -> str:
    level = (raw or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        problems.append("POWERTOOLS_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return "INFO"
    return level


def _required_claims(raw: str, problems: list[str]) -> tuple[tuple[str, str | None], ...]:
    """`Name=Chinmay,tenant=acme` (a bare `name` only requires the claim to be present)."""
    pairs: list[tuple[str, str | None]] = []
    for item in _comma_list(raw):
        name, equals, value = item.partition("=")
        if not name.strip():
            problems.append(f"REQUIRED_CLAIMS entry {item!r} has no claim name")
            continue
        pairs.append((name.strip(), value.strip() if equals else None))
    return tuple(pairs)


def _role_permissions(raw: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    """JSON `{"role": ["GET /books", ...]}`; the route entries are checked by the authorizer."""
    if not raw.strip():
        return dict(DEFAULT_ROLE_PERMISSIONS)
    try:
        table = json.loads(raw)
    except ValueError:
        problems.append("ROLE_PERMISSIONS is not valid JSON")
        return {}
    if not isinstance(table, dict):
        problems.append("ROLE_PERMISSIONS must be a JSON object of role -> list of routes")
        return {}
    permissions: dict[str, tuple[str, ...]] = {}
    for role, routes in table.items():
        if not role or not isinstance(routes, list) or not all(isinstance(r, str) for r in routes):
            problems.append(f"ROLE_PERMISSIONS[{role!r}] must be a list of route strings")
            continue
        permissions[role] = tuple(routes)
    return permissions

"""Read the OpenAPI document (with its functions file) into what the gateway needs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from books_api.local.lambda_runtime.functions_file import (
    DocumentError,
    FunctionSpec,
    load_functions,
    read_yaml,
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"  # every method not defined on its own
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000
DEFAULT_AUTHORIZER_TTL = 300
_TEMPLATE_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class AuthorizerSpec:
    scheme: str
    function: str  # FunctionSpec.key
    header: str
    validation: re.Pattern[str] | None
    ttl_s: int


@dataclass(frozen=True)
class MockResponse:
    """What a `mock` integration answers (an OPTIONS method for CORS, typically)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class CorsConfig:
    """`x-amazon-apigateway-cors`: the gateway answers preflights and adds CORS headers."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None


@dataclass(frozen=True)
class Operation:
    method: str  # upper case; ANY for x-amazon-apigateway-any-method
    resource: str  # e.g. /book or /books/{id}
    function: str | None  # FunctionSpec.key; None for a mock integration
    timeout_ms: int
    authorizer: str | None  # AuthorizerSpec.scheme
    mock: MockResponse | None = None


@dataclass
class ApiSpec:
    title: str
    operations: list[Operation]
    authorizers: dict[str, AuthorizerSpec]
    functions: dict[str, FunctionSpec]
    raw: dict[str, Any] = field(repr=False)
    binary_media_types: tuple[str, ...] = ()
    cors: CorsConfig | None = None
    gateway_responses: dict[str, Any] = field(default_factory=dict)  # the raw extension


def load(document_path: Path, functions_path: Path) -> ApiSpec:
    document = read_yaml(document_path)
    functions = load_functions(functions_path)
    authorizers = _authorizers(document, functions)
    operations = list(_operations(document, functions, authorizers))
    return ApiSpec(
        str(document.get("info", {}).get("title", "API")),
        operations,
        authorizers,
        functions,
        document,
        tuple(str(t) for t in document.get("x-amazon-apigateway-binary-media-types") or ()),
        _cors(document.get("x-amazon-apigateway-cors")),
        document.get("x-amazon-apigateway-gateway-responses") or {},
    )


def function_key(uri: Any, functions: dict[str, FunctionSpec], where: str) -> str:
    """The function a `${name}` uri template points at."""
    match = _TEMPLATE_VARIABLE.search(str(uri))
    if not match:
        raise DocumentError(f"{where}: uri {uri!r} has no ${{name}} naming a function")
    if match.group(1) not in functions:
        raise DocumentError(
            f"{where}: uri {uri!r} names {match.group(1)!r}, which the functions file does not "
            f"define: add {match.group(1)}: with its handler there"
        )
    return match.group(1)


def _authorizers(
    document: dict[str, Any], functions: dict[str, FunctionSpec]
) -> dict[str, AuthorizerSpec]:
    schemes = document.get("components", {}).get("securitySchemes", {}) or {}
    result = {}
    for name, scheme in schemes.items():
        config = scheme.get("x-amazon-apigateway-authorizer")
        if not config:
            continue
        if str(config.get("type", "token")).lower() != "token":
            raise DocumentError(f"authorizer {name}: only TOKEN authorizers are supported")
        source = str(config.get("identitySource", f"method.request.header.{scheme.get('name')}"))
        expression = config.get("identityValidationExpression")
        result[name] = AuthorizerSpec(
            scheme=name,
            function=function_key(config.get("authorizerUri"), functions, f"authorizer {name}"),
            header=source.removeprefix("method.request.header.").lower(),
            validation=re.compile(expression) if expression else None,
            ttl_s=int(config.get("authorizerResultTtlInSeconds", DEFAULT_AUTHORIZER_TTL)),
        )
    return result


def _operations(
    document: dict[str, Any],
    functions: dict[str, FunctionSpec],
    authorizers: dict[str, AuthorizerSpec],
) -> Any:
    default_security = document.get("security")
    for resource, item in (document.get("paths") or {}).items():
        for method in (*HTTP_METHODS, ANY_METHOD):
            operation = (item or {}).get(method)
            if operation is None:
                continue
            method = "ANY" if method == ANY_METHOD else method
            where = f"{method.upper()} {resource}"
            integration = operation.get("x-amazon-apigateway-integration")
            if not isinstance(integration, dict):
                raise DocumentError(f"{where}: no x-amazon-apigateway-integration")
            security = operation.get("security", default_security) or []
            scheme = next(
                (name for requirement in security for name in requirement if name in authorizers),
                None,
            )
            kind = str(integration.get("type", "aws_proxy")).lower()
            if kind not in ("aws_proxy", "mock"):
                raise DocumentError(f"{where}: integration type {kind!r} is not supported")
            yield Operation(
                method=method.upper(),
                resource=resource,
                function=None
                if kind == "mock"
                else function_key(integration.get("uri"), functions, where),
                timeout_ms=int(integration.get("timeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MS)),
                authorizer=scheme,
                mock=_mock_response(integration, where) if kind == "mock" else None,
            )


def _mock_response(integration: dict[str, Any], where: str) -> MockResponse:
    """The `default` integration response of a mock integration, as the deployed API sends it."""
    responses = integration.get("responses") or {}
    chosen: dict[str, Any] = responses.get("default") or next(iter(responses.values()), {}) or {}
    try:
        status = int(chosen.get("statusCode", 200))
    except (TypeError, ValueError) as error:
        raise DocumentError(f"{where}: mock statusCode must be a number") from error
    headers = []
    for key, value in (chosen.get("responseParameters") or {}).items():
        name = str(key).removeprefix("method.response.header.")
        # Static values are quoted in the document: "'*'".
        headers.append((name, str(value).strip().strip("'")))
    templates = chosen.get("responseTemplates") or {}
    body = str(templates.get("application/json") or "").encode("utf-8")
    return MockResponse(status, tuple(headers), body)


def _cors(config: Any) -> CorsConfig | None:
    if not isinstance(config, dict):
        return None

    def strings(key: str) -> tuple[str, ...]:
        return tuple(str(item) for item in config.get(key) or ())

    max_age = config.get("maxAge")
    return CorsConfig(
        allow_origins=strings("allowOrigins"),
        allow_methods=tuple(m.upper() for m in strings("allowMethods")),
        allow_headers=tuple(h.lower() for h in strings("allowHeaders")),
        expose_headers=strings("exposeHeaders"),
        allow_credentials=bool(config.get("allowCredentials", False)),
        max_age=int(max_age) if max_age is not None else None,
    )


def default_paths() -> tuple[Path, Path]:
    """The Books API's own document and functions file (in a source checkout)."""
    root = Path(__file__).resolve().parents[4]
    return root / "openapi" / "books.yaml", root / "openapi" / "functions.yaml"

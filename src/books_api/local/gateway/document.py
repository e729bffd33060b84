"""Read the OpenAPI document (with its functions file) into what the gateway needs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from books_api.local.gateway.authorizer_config import AuthorizerSpec, parse_authorizers
from books_api.local.gateway.cognito import PoolSettings
from books_api.local.lambda_runtime.functions_file import (
    DocumentError,
    FunctionSpec,
    load_functions,
    read_yaml,
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"  # every method not defined on its own
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000
_TEMPLATE_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
# A Lambda function named in an integration or authorizer URI (`...:function:NAME[:ALIAS]/`).
_FUNCTION_IN_ARN = re.compile(r":function:([A-Za-z0-9_-]+)")


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
    scopes: tuple[str, ...] = ()  # the authorization scopes of its security requirement


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
    stage_variables: dict[str, str] = field(default_factory=dict)


def load(document_path: Path, functions_path: Path) -> ApiSpec:
    document = read_yaml(document_path)
    functions = load_functions(functions_path)
    settings = read_yaml(functions_path)
    stage_variables = _stage_variables(settings.get("stage_variables"))

    def key_of(uri: Any, where: str) -> str:
        return function_key(uri, functions, where, stage_variables)

    pools = PoolSettings.read(settings.get("cognito_user_pools"), functions_path.parent)
    authorizers = parse_authorizers(document, key_of, pools)
    operations = list(_operations(document, key_of, authorizers))
    return ApiSpec(
        str(document.get("info", {}).get("title", "API")),
        operations,
        authorizers,
        functions,
        document,
        tuple(str(t) for t in document.get("x-amazon-apigateway-binary-media-types") or ()),
        _cors(document.get("x-amazon-apigateway-cors")),
        document.get("x-amazon-apigateway-gateway-responses") or {},
        stage_variables,
    )


def function_key(
    uri: Any,
    functions: dict[str, FunctionSpec],
    where: str,
    stage_variables: dict[str, str] | None = None,
) -> str:
    """The function a uri points at: a `${name}` of the functions file, or a Lambda ARN (or a
    bare value) naming a function; `${stageVariables.x}` is replaced first, as API Gateway
    does at each request."""
    text = str(uri or "")
    variables = stage_variables or {}
    for name in _STAGE_VARIABLE.findall(text):
        if name not in variables:
            raise DocumentError(
                f"{where}: uri {uri!r} uses stage variable {name!r}, which the functions "
                "file's stage_variables does not set"
            )
    text = _STAGE_VARIABLE.sub(lambda match: variables[match.group(1)], text)
    template = _TEMPLATE_VARIABLE.search(text)
    named = _FUNCTION_IN_ARN.search(text)
    candidate = template.group(1) if template else named.group(1) if named else text
    by_name = {spec.name: key for key, spec in functions.items()}
    key = candidate if candidate in functions else by_name.get(candidate)
    if key is None:
        raise DocumentError(
            f"{where}: uri {uri!r} names {candidate!r}, which the functions file does not "
            f"define: add {candidate}: with its handler there"
        )
    return key


def _stage_variables(raw: Any) -> dict[str, str]:
    """`stage_variables` of the functions file: names and values of the stage's variables."""
    if raw is None:
        return {}
    valid = re.compile(r"[A-Za-z0-9_]+")
    if not isinstance(raw, dict) or not all(valid.fullmatch(str(name)) for name in raw):
        raise DocumentError(
            "stage_variables must map names (letters, digits, underscores) to values"
        )
    return {str(name): "" if value is None else str(value) for name, value in raw.items()}


def _operations(
    document: dict[str, Any],
    key_of: Any,
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
            scheme, scopes = _authorization(
                operation.get("security", default_security) or [], authorizers
            )
            kind = str(integration.get("type", "aws_proxy")).lower()
            if kind not in ("aws_proxy", "mock"):
                raise DocumentError(f"{where}: integration type {kind!r} is not supported")
            yield Operation(
                method=method.upper(),
                resource=resource,
                function=None if kind == "mock" else key_of(integration.get("uri"), where),
                timeout_ms=int(integration.get("timeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MS)),
                authorizer=scheme,
                mock=_mock_response(integration, where) if kind == "mock" else None,
                scopes=scopes,
            )


def _authorization(
    security: list[Any], authorizers: dict[str, AuthorizerSpec]
) -> tuple[str | None, tuple[str, ...]]:
    """The authorizer of a method's security requirement and its scopes (API Gateway imports
    `security: [{MyPool: [books/read]}]` as the method's authorization scopes)."""
    for requirement in security:
        for name, scopes in (requirement or {}).items():
            if name in authorizers:
                return name, tuple(str(scope) for scope in scopes or ())
    return None, ()


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

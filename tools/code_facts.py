"""Facts read from the Lambda source with ast: the environment variables each function's
settings read, and the AWS actions each function's code can reach; and what the module
deliberately leaves out of them (tests/infra and the rehearsal compare against both)."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import botocore.session
from aws_lambda_powertools.shared import constants as powertools
from botocore import xform_name

from tools.closure import SOURCE_ROOT, handler_closure, module_path

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
SERVICES = ("dynamodb", "secretsmanager", "ssm", "kms")
# Helpers that call AWS on the code's behalf.
HELPER_ACTIONS = {
    "get_secret": "secretsmanager:GetSecretValue",
    "get_parameter": "ssm:GetParameter",
    "get_parameters": "ssm:GetParametersByPath",
    "batch_writer": "dynamodb:BatchWriteItem",
}
# Read by the code but deliberately never set by the module, with the reason.
NOT_DEPLOYED = {
    "JWT_SECRET": "the key itself: local only; in AWS the authorizer reads JWT_SECRET_ARN",
    "JWT_SECRET_PARAMETER": "an SSM alternative to the Secrets Manager secret the module creates",
    "ALLOW_WEAK_SECRET": "the module accepts only keys of 32 characters or more",
    "BOOKS_DB_PATH": "the SQLite store only; the deployment uses DynamoDB",
    "BOOKS_DB_MAX_BYTES": "the SQLite store only; the deployment uses DynamoDB",
    "LOG_LEVEL": "Powertools' legacy name; the module sets POWERTOOLS_LOG_LEVEL",
    "LAMBDA_TASK_ROOT": "set by Lambda itself; tells the code that it runs in Lambda",
}
# Read by Powertools itself (both functions use its Logger, Metrics and Tracer), not by the
# settings module.
READ_BY_POWERTOOLS = {
    powertools.SERVICE_NAME_ENV,
    powertools.POWERTOOLS_LOG_LEVEL_ENV,
    powertools.POWERTOOLS_LOG_LEVEL_LEGACY_ENV,
    powertools.METRICS_NAMESPACE_ENV,
    powertools.TRACER_DISABLED_ENV,
}
# Calls the code can make that the module must not grant, with the reason.
NOT_GRANTED = {
    "ssm:GetParameter": "made only when JWT_SECRET_PARAMETER is set, which the module never does",
}


def _tree(module: str) -> ast.Module:
    path = module_path(module)
    assert path is not None, module
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def settings_env_names() -> dict[str, set[str]]:
    """Settings class -> the environment variable names its code reads (with those read by
    the module's other classes and functions that it uses)."""
    tree = ast.parse((SOURCE_ROOT / "books_api" / "settings.py").read_text("utf-8"))
    definitions = {
        node.name: node for node in tree.body if isinstance(node, ast.ClassDef | ast.FunctionDef)
    }
    names: dict[str, set[str]] = {}
    for name, node in definitions.items():
        if isinstance(node, ast.ClassDef):
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & set(definitions)
            names[name] = set().union(
                _env_names(node), *(_env_names(definitions[other]) for other in used)
            )
    return names


def _env_names(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for child in ast.walk(node):
        candidates: list[ast.expr] = []
        if isinstance(child, ast.Call):
            candidates = list(child.args[:1])
        elif isinstance(child, ast.Subscript):
            candidates = [child.slice]
        for candidate in candidates:
            if isinstance(candidate, ast.Constant) and isinstance(candidate.value, str):
                if ENV_NAME.match(candidate.value):
                    found.add(candidate.value)
    return found


def settings_classes_used(handler: str) -> set[str]:
    """Names imported from books_api.settings by any module the handler reaches."""
    used: set[str] = set()
    for module in handler_closure(handler).modules:
        for node in ast.walk(_tree(module)):
            if isinstance(node, ast.ImportFrom) and node.module == "books_api.settings":
                used |= {alias.name for alias in node.names}
    return used


def env_names_read(handler: str) -> set[str]:
    """Every environment variable the handler's settings read."""
    per_class = settings_env_names()
    return set().union(*(per_class.get(name, set()) for name in settings_classes_used(handler)))


@cache
def _operations(service: str) -> dict[str, str]:
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def aws_actions(handler: str) -> set[str]:
    """IAM actions of the AWS calls reachable from the handler (by name, over-approximated)."""
    modules = {name: _tree(name) for name in handler_closure(handler).modules}
    definitions: dict[str, list[tuple[str, ast.AST]]] = {}
    roots: list[tuple[str, ast.AST]] = []
    for name, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                definitions.setdefault(node.name, []).append((name, node))
        roots.extend((name, stmt) for stmt in tree.body if not _is_definition(stmt))
    handler_name = handler.rsplit(".", 1)[1]
    roots.extend(definitions.get(handler_name, []))
    actions: set[str] = set()
    seen: set[int] = set()
    while roots:
        module, node = roots.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        services = _services_named(modules[module])
        for called in _names_used(node):
            roots.extend(_entry_points(definitions.get(called, [])))
            actions |= _actions_for(called, services)
    return actions


def _is_definition(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


def _entry_points(found: list[tuple[str, ast.AST]]) -> list[tuple[str, ast.AST]]:
    """A def itself; for a class, its methods run when the class is used (over-approximation)."""
    entries: list[tuple[str, ast.AST]] = []
    for module, node in found:
        if isinstance(node, ast.ClassDef):
            entries.extend(
                (module, item)
                for item in node.body
                if _is_definition(item) and getattr(item, "name", "").startswith("__")
            )
        else:
            entries.append((module, node))
    return entries


def _names_used(node: ast.AST) -> set[str]:
    """Functions called or referenced (callbacks) in the body of `node`."""
    names: set[str] = set()
    body = node.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else [node]
    for stmt in body:
        for child in ast.walk(stmt):
            if isinstance(child, ast.Attribute):
                names.add(child.attr)
            elif isinstance(child, ast.Name):
                names.add(child.id)
    return names


def _services_named(tree: ast.Module) -> set[str]:
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in SERVICES
    } | ({"dynamodb"} if _mentions(tree, "dynamodb") else set())


def _mentions(tree: ast.Module, word: str) -> bool:
    return any(
        isinstance(node, ast.Constant) and isinstance(node.value, str) and word in node.value
        for node in ast.walk(tree)
    )


def _actions_for(called: str, services: set[str]) -> set[str]:
    actions = {
        f"{service}:{_operations(service)[called]}"
        for service in services
        if called in _operations(service)
    }
    if called in HELPER_ACTIONS and HELPER_ACTIONS[called].split(":")[0] in services | {
        "secretsmanager",
        "ssm",
    }:
        actions.add(HELPER_ACTIONS[called])
    return actions


def repository_file(*parts: str) -> Path:
    return SOURCE_ROOT.parent.joinpath(*parts)


def env_names_deployable(handler: str) -> set[str]:
    """Names the deployed function may carry: read by its settings or by Powertools, not
    local-only, and not set by Lambda itself (AWS_*)."""
    read = env_names_read(handler)
    if "aws_lambda_powertools" in handler_closure(handler).third_party:
        read |= READ_BY_POWERTOOLS
    return {name for name in read - set(NOT_DEPLOYED) if not name.startswith("AWS_")}

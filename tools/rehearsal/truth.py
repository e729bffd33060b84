"""The sources of truth the deployment is compared with: the OpenAPI document, the functions
file, the code (what it reads and calls), the module's defaults and what examples/complete
sets. Always read from this repository, whichever tree was applied."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import yaml

from books_api.core.dynamodb_json import from_item
from books_api.local.gateway.access_log import load_format
from tools import code_facts
from tools.terraform_source import clean, module

REPOSITORY = Path(__file__).resolve().parents[2]
DOCUMENT_PATH = REPOSITORY / "openapi" / "books.yaml"
FUNCTIONS_PATH = REPOSITORY / "openapi" / "functions.yaml"
EXAMPLE = REPOSITORY / "infra" / "terraform" / "examples" / "complete"
SAMPLE_BOOKS = REPOSITORY / "src" / "books_api" / "data" / "books.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
TEMPLATE_VARIABLE = re.compile(r"\$\{(\w+)\}")


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT_PATH.read_text("utf-8"))
    return loaded


@cache
def functions_file() -> dict[str, dict[str, Any]]:
    """Template variable (e.g. books_invoke_arn) -> the function's entry."""
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(FUNCTIONS_PATH.read_text("utf-8"))
    return loaded


def functions() -> dict[str, dict[str, Any]]:
    """Function name (books, authorizer) -> its entry, with `arn_variable` added."""
    return {
        entry["name"]: {**entry, "arn_variable": variable}
        for variable, entry in functions_file().items()
    }


def routes() -> dict[tuple[str, str], dict[str, Any]]:
    """(path, METHOD) -> the operation, for every operation of the document."""
    return {
        (path, method.upper()): operation
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def function_of(uri: str) -> str:
    """The function name a `${name_invoke_arn}` uri of the document points at."""
    match = TEMPLATE_VARIABLE.fullmatch(uri)
    assert match, f"{uri!r} is not a template variable of openapi/functions.yaml"
    name: str = functions_file()[match.group(1)]["name"]
    return name


def authorizers() -> dict[str, dict[str, Any]]:
    """Security scheme name -> its x-amazon-apigateway-authorizer."""
    schemes = document().get("components", {}).get("securitySchemes", {})
    return {
        name: scheme["x-amazon-apigateway-authorizer"]
        for name, scheme in schemes.items()
        if "x-amazon-apigateway-authorizer" in scheme
    }


def deployed_document(invoke_arns: dict[str, str]) -> Any:
    """The document as the module deploys it: each `${variable}` replaced by the invoke ARN
    of its function (function name -> invoke ARN)."""
    by_variable = {entry["arn_variable"]: invoke_arns[name] for name, entry in functions().items()}
    text = TEMPLATE_VARIABLE.sub(lambda m: by_variable[m.group(1)], DOCUMENT_PATH.read_text())
    return json.loads(json.dumps(yaml.safe_load(text)))


def module_default(name: str) -> Any:
    return module()["variable"][name].get("default")


def access_log_fields() -> dict[str, str]:
    """The stage's format: the file api.tf reads (and the local gateway)."""
    return load_format()


@cache
def _example() -> tuple[dict[str, Any], dict[str, Any]]:
    with (EXAMPLE / "main.tf").open() as handle:
        arguments = clean(hcl2.load(handle))["module"][0]["books_api"]
    with (EXAMPLE / "variables.tf").open() as handle:
        variables = {
            name: block.get("default")
            for entry in clean(hcl2.load(handle))["variable"]
            for name, block in entry.items()
        }
    return arguments, variables


def setting(name: str, variables: dict[str, str]) -> Any:
    """A module input as examples/complete sets it (with the rehearsal's -var values): a
    literal argument, the example's variable it names, or else the module's default."""
    arguments, defaults = _example()
    value = arguments.get(name)
    if value is None:
        return module_default(name)
    reference = re.fullmatch(r"\$\{var\.(\w+)\}", str(value))
    if reference:
        return variables.get(reference.group(1), defaults.get(reference.group(1)))
    return value


def sample_books() -> dict[str, dict[str, Any]]:
    """book_id -> the book, for the article's five books."""
    items = json.loads(SAMPLE_BOOKS.read_text("utf-8"))
    books = [from_item(item) for item in items.values()]
    return {book["book_id"]: book for book in books}


def deployable_environment(function: str) -> set[str]:
    """The variable names the deployed function may carry (read by its code, not local-only)."""
    return code_facts.env_names_deployable(functions()[function]["handler"])


def granted_actions(function: str) -> set[str]:
    """The AWS actions the function's code calls and the module grants."""
    called = code_facts.aws_actions(functions()[function]["handler"])
    return called - set(code_facts.NOT_GRANTED)

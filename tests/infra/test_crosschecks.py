"""Infrastructure and code must agree: these checks read both and fail with the disagreement."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from tools import code_facts
from tools.closure import handler_closure
from tools.code_facts import NOT_DEPLOYED, NOT_GRANTED, READ_BY_POWERTOOLS
from tools.terraform_source import MODULE, module, reference, tf_files

from books_api.local.gateway.access_log import FORMAT_FILE, load_format

REPOSITORY = MODULE.parents[1]
DOCUMENT = yaml.safe_load((REPOSITORY / "openapi" / "books.yaml").read_text("utf-8"))
FUNCTIONS = yaml.safe_load((REPOSITORY / "openapi" / "functions.yaml").read_text("utf-8"))
HANDLERS = {entry["name"]: entry["handler"] for entry in FUNCTIONS.values()}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}

# The resource each service's actions must be limited to, per function.
RESOURCES = {
    "dynamodb": "${aws_dynamodb_table.this.arn}",
    "secretsmanager": "${local.secret_arn}",
}
KMS_KEY = "aws_kms_key.this.arn"
ARTICLE_LOG_FIELDS = {
    "requestId",
    "ip",
    "requestTime",
    "httpMethod",
    "resourcePath",
    "status",
    "responseLength",
}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _statements(function: str) -> list[dict[str, Any]]:
    """The function's IAM statements, shared locals resolved."""
    found = []
    for statement in module()["locals"]["function_statements"][function]:
        if isinstance(statement, str):
            expression = reference(statement)
            name = re.match(r"local\.(\w+)", expression)
            assert name, f"unexpected statement expression {statement}"
            value = module()["locals"][name.group(1)]
            key = re.search(r'\["(\w+)"\]', expression)
            statement = _log_statement(value, function) if key else value
        found.append(statement)
    return found


def _log_statement(expression: str, function: str) -> dict[str, Any]:
    body = reference(expression)
    assert "aws_cloudwatch_log_group.function" in body, body
    actions = re.search(r"Action\s*=\s*\[([^\]]*)\]", body)
    resource = re.search(r"Resource\s*=\s*\[([^\]]*)\]", body)
    assert actions and resource, body
    return {
        "Sid": "OwnLogGroup",
        "Action": re.findall(r'"([^"]+)"', actions.group(1)),
        "Resource": [resource.group(1).strip().strip('"')],
        "LogGroupOf": function,
    }


@pytest.mark.parametrize("path", tf_files(), ids=lambda path: str(path.relative_to(MODULE)))
def test_every_terraform_file_parses(path: Path) -> None:
    with path.open() as handle:
        assert isinstance(hcl2.load(handle), dict)


def test_every_openapi_integration_points_at_a_function_terraform_deploys() -> None:
    assert module()["resource"]["aws_lambda_function"]["this"]["for_each"] == (
        "${local.function_names}"
    )
    deployed = set(module()["locals"]["packages"])
    body = reference(module()["locals"]["body"])
    assert "local.openapi_path" in body and "aws_lambda_function.this[name].invoke_arn" in body
    for path, method, operation in _operations():
        uri = operation.get("x-amazon-apigateway-integration", {}).get("uri", "")
        variable = re.fullmatch(r"\$\{(\w+)\}", uri)
        assert variable, f"{method.upper()} {path}: integration uri {uri!r} is not ${{name}}"
        assert variable.group(1) in FUNCTIONS, (
            f"{method.upper()} {path} calls ${{{variable.group(1)}}}, "
            f"which openapi/functions.yaml (and so Terraform) does not define"
        )
        assert FUNCTIONS[variable.group(1)]["name"] in deployed
    authorizer = _authorizer()
    assert re.fullmatch(r"\$\{(\w+)\}", authorizer["authorizerUri"]).group(1) in FUNCTIONS  # type: ignore[union-attr]


def test_terraform_deploys_exactly_the_functions_of_the_functions_file() -> None:
    environment = module()["locals"]["environment"]
    statements = module()["locals"]["function_statements"]
    packages = module()["locals"]["packages"]
    assert set(environment) == set(statements) == set(packages) == set(HANDLERS), (
        "environment, IAM statements and packages in Terraform must name the functions of "
        f"openapi/functions.yaml: {sorted(HANDLERS)}"
    )


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_terraform_sets_only_variables_the_code_reads(function: str) -> None:
    read = code_facts.env_names_read(HANDLERS[function])
    if "aws_lambda_powertools" in handler_closure(HANDLERS[function]).third_party:
        read |= READ_BY_POWERTOOLS
    set_by_terraform = set(module()["locals"]["environment"][function])
    unknown = set_by_terraform - read
    assert not unknown, (
        f"Terraform sets {sorted(unknown)} on {function}, which its code never reads"
    )
    runtime = {name for name in read if name.startswith("AWS_")}  # set by Lambda itself
    missing = read - set_by_terraform - set(NOT_DEPLOYED) - runtime
    assert not missing, (
        f"{function} reads {sorted(missing)}, which Terraform never sets: wire each to a "
        "variable in infra/terraform/main.tf (or list it in NOT_DEPLOYED with a reason)"
    )
    assert not set_by_terraform & set(NOT_DEPLOYED), "a variable meant for local use is deployed"


def test_the_secret_never_reaches_a_function_environment() -> None:
    for function, variables in module()["locals"]["environment"].items():
        assert "JWT_SECRET" not in variables, f"{function} would get the secret in plain text"
    assert module()["locals"]["environment"]["authorizer"]["JWT_SECRET_ARN"] == (
        "${local.secret_arn}"
    )
    assert module()["locals"]["secret_arn"] == "${one(aws_secretsmanager_secret.this[*].arn)}"


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_functions_file_names_only_variables_the_code_reads(function: str) -> None:
    entry = next(entry for entry in FUNCTIONS.values() if entry["name"] == function)
    read = code_facts.env_names_read(HANDLERS[function]) | READ_BY_POWERTOOLS
    unknown = set(entry.get("environment") or {}) - read
    assert not unknown, f"openapi/functions.yaml gives {function} {sorted(unknown)}, never read"


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_iam_grants_exactly_the_aws_calls_the_code_makes(function: str) -> None:
    called = code_facts.aws_actions(HANDLERS[function]) - set(NOT_GRANTED)
    granted: set[str] = set()
    for statement in _statements(function):
        service_actions = [a for a in statement["Action"] if a.split(":")[0] in RESOURCES]
        granted |= set(service_actions)
        for action in service_actions:
            assert statement["Resource"] == [RESOURCES[action.split(":")[0]]], (
                f"{function}: {action} must be limited to {RESOURCES[action.split(':')[0]]}, "
                f"not {statement['Resource']}"
            )
    assert granted == called, (
        f"{function}: code calls {sorted(called)} but Terraform grants {sorted(granted)} "
        f"(missing {sorted(called - granted)}, too broad {sorted(granted - called)})"
    )


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_no_statement_grants_a_wildcard_beyond_xray(function: str) -> None:
    for statement in _statements(function):
        actions = statement["Action"]
        assert all("*" not in action for action in actions), f"{function}: wildcard in {actions}"
        if statement["Resource"] == ["*"]:
            assert set(actions) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, (
                f"{function}: only X-Ray's write actions (no resource-level permissions) may "
                f"name every resource, not {actions}"
            )
        services = {action.split(":")[0] for action in actions}
        if "kms" in services:
            assert len(statement["Resource"]) == 1 and KMS_KEY in statement["Resource"][0], (
                f"{function}: KMS actions must be limited to the module's key"
            )
            via = statement["Condition"]["StringEquals"]["kms:ViaService"]
            assert via.split(".")[0] in {a.split(":")[0] for a in _granted_actions(function)}, (
                f"{function}: KMS use must be limited to a service the function calls"
            )
        if "logs" in services:
            assert set(actions) == {"logs:CreateLogStream", "logs:PutLogEvents"}
            assert statement["Resource"] == ["${group.arn}:*"]


def _granted_actions(function: str) -> set[str]:
    return {a for s in _statements(function) for a in s["Action"] if not a.startswith("kms:")}


def test_log_statements_name_each_functions_own_group() -> None:
    expression = reference(module()["locals"]["log_statements"])
    assert "for name, group in aws_cloudwatch_log_group.function : name =>" in expression


def _authorizer() -> dict[str, Any]:
    schemes = DOCUMENT["components"]["securitySchemes"]
    scheme = schemes["authorizationToken"]
    return scheme["x-amazon-apigateway-authorizer"]  # type: ignore[no-any-return]


def test_authorizer_settings_live_in_the_document_and_nowhere_in_terraform() -> None:
    authorizer = _authorizer()
    assert authorizer["type"] == "token"
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    assert authorizer["identitySource"] == "method.request.header.authorizationToken"
    pattern = re.compile(authorizer["identityValidationExpression"])
    assert pattern.match("Bearer aaa.bbb.ccc") and not pattern.match("not a token")
    assert "aws_api_gateway_authorizer" not in module()["resource"], (
        "the authorizer comes from the document's x-amazon-apigateway-authorizer; a Terraform "
        "aws_api_gateway_authorizer would be a second, diverging definition"
    )
    source = "\n".join(path.read_text("utf-8") for path in MODULE.glob("*.tf"))
    for setting in ("authorizer_result_ttl", "identity_validation_expression", "identity_source"):
        assert setting not in source, f"Terraform repeats the document's {setting}"


def test_stage_access_log_has_the_article_fields() -> None:
    fields = load_format()
    assert ARTICLE_LOG_FIELDS <= set(fields), f"missing {sorted(ARTICLE_LOG_FIELDS - set(fields))}"
    assert all(value.startswith("$context.") for value in fields.values())


def test_stage_and_local_gateway_read_one_access_log_format() -> None:
    """The stage logs jsonencode of the file the local gateway formats its lines from."""
    stage = module()["resource"]["aws_api_gateway_stage"]["this"]
    assert stage["access_log_settings"][0]["format"] == "${local.access_log_format}"
    format_expression = reference(module()["locals"]["access_log_format"])
    assert format_expression == "jsonencode(local.access_log_fields)"
    fields_expression = reference(module()["locals"]["access_log_fields"])
    assert fields_expression == "jsondecode(file(local.access_log_format_path))"
    path = module()["locals"]["access_log_format_path"]
    assert path.startswith("${local.repository_root}/")
    assert (REPOSITORY / path.removeprefix("${local.repository_root}/")).resolve() == FORMAT_FILE


def test_every_variable_and_output_is_described() -> None:
    for kind in ("variable", "output"):
        for name, block in module()[kind].items():
            assert block.get("description"), f"{kind} {name} has no description"
    for name, block in module()["variable"].items():
        assert "type" in block, f"variable {name} has no type"


def test_package_defaults_match_the_module_defaults() -> None:
    makefile = (REPOSITORY / "Makefile").read_text("utf-8")
    arch = re.search(r"^ARCH\s*\?=\s*(\S+)", makefile, re.MULTILINE)
    python = re.search(r"^LAMBDA_PYTHON\s*\?=\s*(\S+)", makefile, re.MULTILINE)
    assert arch and python, "the Makefile must define ARCH and LAMBDA_PYTHON for make package"
    variables = module()["variable"]
    assert variables["architecture"]["default"] == arch.group(1)
    assert variables["runtime"]["default"] == f"python{python.group(1)}", (
        "make package must build for the runtime the module deploys"
    )


def test_module_readme_lists_every_input_and_output() -> None:
    readme = (MODULE / "README.md").read_text("utf-8")
    for kind in ("variable", "output"):
        for name in module()[kind]:
            assert f"| `{name}` |" in readme, (
                f"infra/terraform/README.md does not list {kind} {name}"
            )

"""Facts moto cannot show, checked in what Terraform sent instead: the plan made after apply
holds every resource's values as Terraform applies them. Each known gap names its check."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tools.rehearsal import truth
from tools.rehearsal.deployment import Deployment
from tools.rehearsal.facts import UNSET, Facts
from tools.rehearsal.plan import MODULE, planned

REST_API = f"{MODULE}.aws_api_gateway_rest_api.this"
ACCOUNT = f"{MODULE}.aws_api_gateway_account.this[0]"


def body_facts(deployment: Deployment, plan: dict[str, Any], facts: Facts) -> None:
    """The REST API body Terraform sent is the document, with the deployed invoke ARNs."""
    body = planned(plan, REST_API).get("body")
    sent = json.loads(body) if isinstance(body, str) else {}
    expected = truth.deployed_document(
        {name: deployment.invoke_arn(name) for name in truth.functions()}
    )
    for key in sorted(set(expected) | set(sent)):
        if key == "paths":
            continue
        facts.compare(f"body sent: {key}", expected.get(key, UNSET), sent.get(key, UNSET))
    paths = sent.get("paths", {})
    for path in sorted(set(expected["paths"]) | set(paths)):
        facts.compare(
            f"body sent: paths {path}", expected["paths"].get(path, UNSET), paths.get(path, UNSET)
        )


def authorizer_in_body(deployment: Deployment, plan: dict[str, Any], facts: Facts) -> None:
    """The authorizer and each operation's use of it, in the body Terraform sent."""
    body = json.loads(planned(plan, REST_API).get("body") or "{}")
    schemes = body.get("components", {}).get("securitySchemes", {})
    for name, wanted in truth.authorizers().items():
        sent = schemes.get(name, {}).get("x-amazon-apigateway-authorizer", {})
        expected = {
            **wanted,
            "authorizerUri": deployment.invoke_arn(truth.function_of(wanted["authorizerUri"])),
        }
        for key in ("type", "authorizerUri", "authorizerResultTtlInSeconds", "identitySource"):
            facts.compare(
                f"body sent: authorizer {name} {key}", expected[key], sent.get(key, UNSET)
            )
        facts.compare(
            f"body sent: authorizer {name} identityValidationExpression",
            expected.get("identityValidationExpression", UNSET),
            sent.get("identityValidationExpression", UNSET),
        )
    default = body.get("security")
    for path, item in body.get("paths", {}).items():
        for method, operation in item.items():
            if method in truth.HTTP_METHODS:
                route = truth.routes().get((path, method.upper()), {})
                facts.compare(
                    f"body sent: {method.upper()} {path} security",
                    route.get("security", truth.document().get("security")),
                    operation.get("security", default),
                )


def logging_config_in_plan(deployment: Deployment, plan: dict[str, Any], facts: Facts) -> None:
    """Each function's logging configuration as Terraform applies it."""
    for name, deployed in deployment.function_names.items():
        values = planned(plan, f'{MODULE}.aws_lambda_function.this["{name}"]')
        config = (values.get("logging_config") or [{}])[0]
        facts.compare(
            f"planned {deployed} logging_config",
            {"log_format": "Text", "log_group": f"/aws/lambda/{deployed}"},
            {"log_format": config.get("log_format"), "log_group": config.get("log_group")},
        )


def account_reset_in_plan(deployment: Deployment, plan: dict[str, Any], facts: Facts) -> None:
    """The account settings resource asks the provider to clear the role on destroy."""
    values = planned(plan, ACCOUNT)
    facts.compare(
        "planned API Gateway account reset_on_delete", True, values.get("reset_on_delete")
    )


GAP_CHECKS: dict[str, Callable[[Deployment, dict[str, Any], Facts], None]] = {
    "apigateway-openapi-authorizer": authorizer_in_body,
    "lambda-logging-config": logging_config_in_plan,
    "apigateway-account-reset": account_reset_in_plan,
}

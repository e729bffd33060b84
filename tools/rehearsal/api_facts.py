"""The REST API and its stage, read back through boto3, against the OpenAPI document and the
module's settings."""

from __future__ import annotations

import json
from typing import Any

from tools.rehearsal import truth
from tools.rehearsal.deployment import Deployment
from tools.rehearsal.facts import UNSET, Facts

AUTHORIZER_GAP = "apigateway-openapi-authorizer"


def api_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    apigateway = deployment.client("apigateway")
    api_id = deployment.rest_api_id
    api = apigateway.get_rest_api(restApiId=api_id)
    facts.compare("REST API name", settings["name"], api["name"])
    endpoint_types = api.get("endpointConfiguration", {}).get("types")
    facts.compare("REST API endpoint types", [settings["endpoint_type"]], endpoint_types)
    resources = apigateway.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
    methods = {
        (resource["path"], method): details
        for resource in resources
        for method, details in (resource.get("resourceMethods") or {}).items()
    }
    facts.compare("REST API routes (path, method)", set(truth.routes()), set(methods))
    authorizer_ids = _authorizer_facts(deployment, facts)
    for route, operation in truth.routes().items():
        if route in methods:
            _method_facts(deployment, facts, route, operation, methods[route], authorizer_ids)


def _method_facts(
    deployment: Deployment,
    facts: Facts,
    route: tuple[str, str],
    operation: dict[str, Any],
    method: dict[str, Any],
    authorizer_ids: dict[str, str],
) -> None:
    where = f"{route[1]} {route[0]}"
    wanted = operation["x-amazon-apigateway-integration"]
    integration = method.get("methodIntegration") or {}
    # API Gateway reports the type and passthrough behaviour in upper case.
    facts.compare(f"{where} integration type", wanted["type"].upper(), _upper(integration, "type"))
    facts.compare(
        f"{where} integration uri",
        deployment.invoke_arn(truth.function_of(wanted["uri"])),
        integration.get("uri"),
    )
    facts.compare(
        f"{where} integration method", wanted["httpMethod"], integration.get("httpMethod")
    )
    for key in ("timeoutInMillis", "passthroughBehavior"):
        if key in wanted:
            expected = str(wanted[key]).upper()
            facts.compare(f"{where} integration {key}", expected, _upper(integration, key))
    security = operation.get("security", truth.document().get("security")) or []
    schemes = [name for requirement in security for name in requirement]
    if schemes:
        facts.compare(
            f"{where} authorization type", "CUSTOM", method.get("authorizationType"), AUTHORIZER_GAP
        )
        facts.compare(
            f"{where} authorizer",
            authorizer_ids.get(schemes[0], UNSET),
            method.get("authorizerId", UNSET),
            AUTHORIZER_GAP,
        )


def _upper(mapping: dict[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return None if value is None else str(value).upper()


def _authorizer_facts(deployment: Deployment, facts: Facts) -> dict[str, str]:
    """Compare the API's authorizers with the document's; return name -> authorizer id."""
    found = deployment.client("apigateway").get_authorizers(restApiId=deployment.rest_api_id)
    deployed = {item["name"]: item for item in found.get("items", [])}
    facts.compare("REST API authorizers", set(truth.authorizers()), set(deployed), AUTHORIZER_GAP)
    for name, wanted in truth.authorizers().items():
        item = deployed.get(name, {})
        pairs = {
            "type": (wanted["type"].upper(), item.get("type")),
            "authorizerUri": (
                deployment.invoke_arn(truth.function_of(wanted["authorizerUri"])),
                item.get("authorizerUri"),
            ),
            "identitySource": (wanted["identitySource"], item.get("identitySource")),
            "identityValidationExpression": (
                wanted.get("identityValidationExpression"),
                item.get("identityValidationExpression"),
            ),
            "authorizerResultTtlInSeconds": (
                wanted.get("authorizerResultTtlInSeconds"),
                item.get("authorizerResultTtlInSeconds"),
            ),
        }
        for key, (expected, actual) in pairs.items():
            facts.compare(f"authorizer {name} {key}", expected, actual, AUTHORIZER_GAP)
    return {name: item["id"] for name, item in deployed.items()}


def stage_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    apigateway = deployment.client("apigateway")
    api_id = deployment.rest_api_id
    facts.compare("stage name", settings["stage_name"], deployment.stage)
    stage = apigateway.get_stage(restApiId=api_id, stageName=deployment.stage)
    deployments = apigateway.get_deployments(restApiId=api_id)["items"]
    facts.compare("stage deployment", [d["id"] for d in deployments], [stage.get("deploymentId")])
    facts.compare("stage X-Ray tracing", settings["tracing_enabled"], stage.get("tracingEnabled"))
    access = stage.get("accessLogSettings", {})
    access_group = f"/aws/apigateway/{settings['name']}/access"
    facts.compare(
        "stage access log destination",
        deployment.log_group_arn(access_group) if access_group in deployment.log_groups else UNSET,
        access.get("destinationArn"),
    )
    facts.compare(
        "stage access log format (fields)",
        truth.access_log_fields(),
        json.loads(access["format"]) if access.get("format") else UNSET,
    )
    wanted = {
        "metricsEnabled": True,
        "loggingLevel": settings["api_logging_level"],
        "dataTraceEnabled": False,
        "throttlingRateLimit": float(settings["throttling_rate_limit"]),
        "throttlingBurstLimit": settings["throttling_burst_limit"],
        "cachingEnabled": False,
    }
    every_method = stage.get("methodSettings", {}).get("*/*", {})
    for key, expected in wanted.items():
        facts.compare(f"stage method settings */* {key}", expected, every_method.get(key))
    if settings["create_api_gateway_account_role"]:
        role = f"{settings['name']}-apigateway-cloudwatch"
        facts.compare(
            "API Gateway account CloudWatch role",
            f"arn:aws:iam::{deployment.account_id}:role/{role}",
            apigateway.get_account().get("cloudwatchRoleArn"),
        )

"""Each Lambda function, read back through boto3, against openapi/functions.yaml, the code's
settings and the zip that was built."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from tools.rehearsal import truth
from tools.rehearsal.deployment import Deployment
from tools.rehearsal.facts import UNSET, Facts

LOGGING_GAP = "lambda-logging-config"


def expected_environment(deployment: Deployment, settings: dict[str, Any]) -> dict[str, Any]:
    """What examples/complete deploys for every name the code may read (UNSET: the module
    leaves it out, so the code's default applies). A name the code starts to read fails the
    rehearsal until it is given a value here."""
    function = {name: entry["environment"] for name, entry in truth.functions().items()}

    def optional(name: str) -> Any:
        value = settings[name]
        return UNSET if value is None else value

    powertools = {
        "POWERTOOLS_LOG_LEVEL": settings["log_level"],
        "POWERTOOLS_METRICS_NAMESPACE": settings["metrics_namespace"],
        "POWERTOOLS_TRACE_DISABLED": UNSET if settings["tracing_enabled"] else "true",
    }

    return {
        "books": {
            "BOOKS_STORE": "dynamodb",
            "BOOKS_TABLE": settings["table_name"],
            "BOOKS_CURSOR_KEY": optional("cursor_key"),
            "POWERTOOLS_SERVICE_NAME": function["books"]["POWERTOOLS_SERVICE_NAME"],
            **powertools,
        },
        "authorizer": {
            "JWT_SECRET_ARN": deployment.secret_arn,
            "JWT_ISSUER": optional("jwt_issuer"),
            "JWT_AUDIENCE": optional("jwt_audience"),
            "JWT_ALGORITHMS": optional("jwt_algorithms"),
            "JWT_LEEWAY_SECONDS": optional("jwt_leeway_seconds"),
            "REQUIRED_CLAIMS": optional("required_claims"),
            "ROLE_CLAIM": optional("role_claim"),
            "ROLE_PERMISSIONS": optional("role_permissions"),
            "JWKS_URL": optional("jwks_url"),
            "JWKS_MIN_REFRESH_SECONDS": optional("jwks_min_refresh_seconds"),
            "POWERTOOLS_SERVICE_NAME": function["authorizer"]["POWERTOOLS_SERVICE_NAME"],
            **powertools,
        },
    }


def function_facts(
    deployment: Deployment, facts: Facts, settings: dict[str, Any], packages: Path
) -> None:
    environments = expected_environment(deployment, settings)
    for name, entry in truth.functions().items():
        configuration = deployment.configurations[name]
        where = configuration["FunctionName"]
        facts.compare(f"{where} handler", entry["handler"], configuration.get("Handler"))
        facts.compare(f"{where} timeout", entry["timeout"], configuration.get("Timeout"))
        facts.compare(f"{where} memory", entry["memory"], configuration.get("MemorySize"))
        facts.compare(f"{where} runtime", settings["runtime"], configuration.get("Runtime"))
        facts.compare(
            f"{where} architectures", [settings["architecture"]], configuration.get("Architectures")
        )
        facts.compare(
            f"{where} role",
            f"arn:aws:iam::{deployment.account_id}:role/{settings['name']}-{name}",
            configuration.get("Role"),
        )
        tracing = "Active" if settings["tracing_enabled"] else "PassThrough"
        facts.compare(
            f"{where} tracing", tracing, configuration.get("TracingConfig", {}).get("Mode")
        )
        facts.compare(
            f"{where} code (sha256 of dist/{name}.zip)",
            _sha256(packages / f"{name}.zip"),
            configuration.get("CodeSha256"),
        )
        logging = configuration.get("LoggingConfig", {})
        facts.compare(
            f"{where} log group", f"/aws/lambda/{where}", logging.get("LogGroup"), LOGGING_GAP
        )
        facts.compare(f"{where} log format", "Text", logging.get("LogFormat"), LOGGING_GAP)
        _environment_facts(facts, name, where, configuration, environments[name])
        _permission_facts(deployment, facts, name, where)


def _environment_facts(
    facts: Facts, name: str, where: str, configuration: dict[str, Any], expected: dict[str, Any]
) -> None:
    deployed = configuration.get("Environment", {}).get("Variables", {})
    deployable = truth.deployable_environment(name)
    facts.compare(
        f"{name}: names the code reads == names given a deployed value", deployable, set(expected)
    )
    listed = set(truth.functions()[name]["environment"])
    facts.compare(
        f"{name}: names the code reads are in openapi/functions.yaml", set(), deployable - listed
    )
    facts.compare(
        f"{where} environment: only names the code reads", set(), set(deployed) - deployable
    )
    for variable in sorted(deployable):
        facts.compare(
            f"{where} environment {variable}",
            expected.get(variable, UNSET),
            deployed.get(variable, UNSET),
        )


def _permission_facts(deployment: Deployment, facts: Facts, name: str, where: str) -> None:
    """API Gateway may invoke the books function from the stage's methods and the authorizer
    as the API's authorizer: nothing else."""
    scope = f"{deployment.stage}/*/*" if name == "books" else "authorizers/*"
    policy = json.loads(deployment.client("lambda").get_policy(FunctionName=where)["Policy"])
    grants = [
        (
            statement.get("Effect"),
            statement.get("Principal", {}).get("Service"),
            statement.get("Action"),
            statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn"),
        )
        for statement in policy.get("Statement", [])
    ]
    expected = [
        (
            "Allow",
            "apigateway.amazonaws.com",
            "lambda:InvokeFunction",
            f"{deployment.execution_arn}/{scope}",
        )
    ]
    facts.compare(f"{where} resource policy", expected, grants)


def _sha256(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()

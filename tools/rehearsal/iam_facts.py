"""Each role's policy documents, read back through boto3, against the AWS calls the code
makes (tools.code_facts reads them from the source)."""

from __future__ import annotations

from typing import Any

from tools.rehearsal import truth
from tools.rehearsal.deployment import Deployment
from tools.rehearsal.facts import Facts

# The services whose calls code_facts finds, and what each one's actions must be limited to.
CALLED_SERVICES = ("dynamodb", "secretsmanager", "ssm")
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# X-Ray's write actions support no resource-level permissions: "*" is the only valid resource.
TRACING_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
PUSH_TO_LOGS = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


def role_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    for name in truth.functions():
        role = f"{settings['name']}-{name}"
        _trust_facts(deployment, facts, role, "lambda.amazonaws.com")
        statements = _inline_statements(deployment, facts, role)
        _statement_facts(deployment, facts, name, role, statements)
    if settings["create_api_gateway_account_role"]:
        role = f"{settings['name']}-apigateway-cloudwatch"
        _trust_facts(deployment, facts, role, "apigateway.amazonaws.com", attached=[PUSH_TO_LOGS])


def _trust_facts(
    deployment: Deployment,
    facts: Facts,
    role: str,
    service: str,
    attached: list[str] | None = None,
) -> None:
    iam = deployment.client("iam")
    document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    trusted = [
        (
            statement.get("Effect"),
            statement.get("Principal", {}).get("Service"),
            statement.get("Action"),
            statement.get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount"),
        )
        for statement in document["Statement"]
    ]
    expected = [("Allow", service, "sts:AssumeRole", deployment.account_id)]
    facts.compare(f"role {role} trust policy", expected, trusted)
    policies = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    facts.compare(
        f"role {role} managed policies", attached or [], [p["PolicyArn"] for p in policies]
    )


def _inline_statements(deployment: Deployment, facts: Facts, role: str) -> list[dict[str, Any]]:
    iam = deployment.client("iam")
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    facts.compare(f"role {role} inline policies", [f"{role}-least-privilege"], names)
    statements: list[dict[str, Any]] = []
    for policy in names:
        document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
        statements.extend(document["Statement"])
    return statements


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _statement_facts(
    deployment: Deployment,
    facts: Facts,
    name: str,
    role: str,
    statements: list[dict[str, Any]],
) -> None:
    resources = {
        "dynamodb": [
            f"arn:aws:dynamodb:{deployment.region}:{deployment.account_id}:table/{deployment.table}"
        ],
        "secretsmanager": [deployment.secret_arn],
    }
    granted: set[str] = set()
    for statement in statements:
        actions = set(_listed(statement.get("Action")))
        resource = _listed(statement.get("Resource"))
        services = {action.split(":")[0] for action in actions}
        sid = statement.get("Sid", "?")
        facts.compare(
            f"role {role} {sid}: Allow, no wildcard action",
            ("Allow", set()),
            (statement.get("Effect"), {a for a in actions if "*" in a}),
        )
        for service in services & set(CALLED_SERVICES):
            granted |= {a for a in actions if a.startswith(f"{service}:")}
            facts.compare(
                f"role {role} {sid}: {service} resources", resources.get(service), resource
            )
        if "kms" in services:
            _kms_facts(deployment, facts, name, role, statement, resource)
        if "logs" in services:
            group = deployment.log_group_arn(f"/aws/lambda/{deployment.function_names[name]}")
            facts.compare(f"role {role} {sid}: log actions", LOG_ACTIONS, actions)
            facts.compare(f"role {role} {sid}: its own log group", [f"{group}:*"], resource)
        if "xray" in services:
            facts.compare(
                f"role {role} {sid}: X-Ray actions only", set(), actions - TRACING_ACTIONS
            )
    facts.compare(
        f"role {role}: actions granted == AWS calls its code makes",
        truth.granted_actions(name),
        granted,
    )


def _kms_facts(
    deployment: Deployment,
    facts: Facts,
    name: str,
    role: str,
    statement: dict[str, Any],
    resource: list[str],
) -> None:
    """KMS only with the module's key, and only through a service the function calls."""
    sid = statement.get("Sid", "?")
    facts.compare(f"role {role} {sid}: the module's key only", [deployment.key_arn], resource)
    via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", "")
    service = via.split(".")[0]
    called = {action.split(":")[0] for action in truth.granted_actions(name)}
    facts.compare(
        f"role {role} {sid}: through a service the code calls",
        True,
        service in called and via == f"{service}.{deployment.region}.amazonaws.com",
    )

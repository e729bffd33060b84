"""After destroy: every list call for the module's resource types, and what is left. The
emulator started empty, so anything it still lists (beyond what AWS itself manages) is ours.

KMS keys and secrets cannot vanish at once in AWS: a destroyed key waits out its deletion
window (PendingDeletion) and a secret its recovery window (ListSecrets leaves it out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.rehearsal.deployment import Deployment


def leftovers(deployment: Deployment) -> tuple[int, list[str]]:
    """(list calls made, what of the deployment each found)."""
    checks: list[Callable[[Deployment], list[str]]] = [
        _rest_apis,
        _account_role,
        _functions,
        _tables,
        _secrets,
        _keys,
        _aliases,
        _log_groups,
        _roles,
        _policies,
        _alarms,
        _dashboards,
        _topics,
    ]
    found: list[str] = []
    for check in checks:
        found.extend(check(deployment))
    return len(checks), found


def _items(pages: Any, key: str) -> list[Any]:
    return [item for page in pages for item in page[key]]


def _rest_apis(deployment: Deployment) -> list[str]:
    apis = deployment.client("apigateway").get_rest_apis()["items"]
    return [f"REST API {api['name']} ({api['id']})" for api in apis]


def _account_role(deployment: Deployment) -> list[str]:
    role = deployment.client("apigateway").get_account().get("cloudwatchRoleArn")
    return [f"API Gateway account still names the role {role}"] if role else []


def _functions(deployment: Deployment) -> list[str]:
    pages = deployment.client("lambda").get_paginator("list_functions").paginate()
    return [f"function {f['FunctionName']}" for f in _items(pages, "Functions")]


def _tables(deployment: Deployment) -> list[str]:
    return [f"table {t}" for t in deployment.client("dynamodb").list_tables()["TableNames"]]


def _secrets(deployment: Deployment) -> list[str]:
    secrets = deployment.client("secretsmanager").list_secrets()["SecretList"]
    return [f"secret {s['Name']}" for s in secrets]


def _keys(deployment: Deployment) -> list[str]:
    kms = deployment.client("kms")
    # moto creates the AWS managed key of a service (alias/aws/dynamodb) as a CUSTOMER key;
    # in AWS it is AWS's, never the module's.
    aliases = _items(kms.get_paginator("list_aliases").paginate(), "Aliases")
    aws_managed = {a.get("TargetKeyId") for a in aliases if a["AliasName"].startswith("alias/aws/")}
    left = []
    for key in _items(kms.get_paginator("list_keys").paginate(), "Keys"):
        if key["KeyId"] in aws_managed:
            continue
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata.get("KeyManager") == "CUSTOMER" and metadata["KeyState"] != "PendingDeletion":
            left.append(f"KMS key {key['KeyId']} ({metadata['KeyState']})")
    return left


def _aliases(deployment: Deployment) -> list[str]:
    pages = deployment.client("kms").get_paginator("list_aliases").paginate()
    return [
        f"KMS alias {a['AliasName']}"
        for a in _items(pages, "Aliases")
        if not a["AliasName"].startswith("alias/aws/")  # AWS managed keys' aliases
    ]


def _log_groups(deployment: Deployment) -> list[str]:
    pages = deployment.client("logs").get_paginator("describe_log_groups").paginate()
    return [f"log group {g['logGroupName']}" for g in _items(pages, "logGroups")]


def _roles(deployment: Deployment) -> list[str]:
    pages = deployment.client("iam").get_paginator("list_roles").paginate()
    return [f"role {r['RoleName']}" for r in _items(pages, "Roles")]


def _policies(deployment: Deployment) -> list[str]:
    pages = deployment.client("iam").get_paginator("list_policies").paginate(Scope="Local")
    return [f"policy {p['PolicyName']}" for p in _items(pages, "Policies")]


def _alarms(deployment: Deployment) -> list[str]:
    pages = deployment.client("cloudwatch").get_paginator("describe_alarms").paginate()
    return [
        f"alarm {alarm['AlarmName']}"
        for page in pages
        for kind in ("MetricAlarms", "CompositeAlarms")
        for alarm in page.get(kind, [])
    ]


def _dashboards(deployment: Deployment) -> list[str]:
    entries = deployment.client("cloudwatch").list_dashboards()["DashboardEntries"]
    return [f"dashboard {entry['DashboardName']}" for entry in entries]


def _topics(deployment: Deployment) -> list[str]:
    pages = deployment.client("sns").get_paginator("list_topics").paginate()
    return [f"SNS topic {topic['TopicArn']}" for topic in _items(pages, "Topics")]

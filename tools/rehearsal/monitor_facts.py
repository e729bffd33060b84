"""The alarms, their SNS topic and the dashboard, read back through boto3, against the
module's source (infra/terraform/alarms.tf, dashboard.tf) and its settings."""

from __future__ import annotations

import json
import re
from typing import Any

from tools.rehearsal import truth
from tools.rehearsal.deployment import Deployment
from tools.rehearsal.facts import UNSET, Facts
from tools.terraform_source import module, reference

ALARM = "aws_cloudwatch_metric_alarm"


def expected_alarms(deployment: Deployment, settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarm name -> its treat_missing_data and threshold, expanded from each alarm resource
    of the source: once, per function (local.function_names) or per entry of its map."""
    alarms: dict[str, dict[str, Any]] = {}
    for resource in module()["resource"][ALARM].values():
        for key, value in _instances(resource, deployment):
            name = _name(resource["alarm_name"], settings["name"], key, value)
            alarms[name] = {
                "treat_missing_data": resource["treat_missing_data"],
                "threshold": _threshold(resource, settings, key),
            }
    return alarms


def _instances(resource: dict[str, Any], deployment: Deployment) -> list[tuple[str, Any]]:
    for_each = resource.get("for_each")
    if for_each is None:
        return [("", None)]
    if reference(str(for_each)) == "local.function_names":
        return sorted(deployment.function_names.items())
    assert isinstance(for_each, dict), f"alarm for_each {for_each!r} is not understood here"
    return sorted(for_each.items())


def _name(template: str, name: str, key: str, value: Any) -> str:
    text = template.replace("${var.name}", name).replace("${each.value}", str(value))
    return re.sub(r"\$\{replace\(each\.key, \"_\", \"-\"\)\}", key.replace("_", "-"), text)


def _threshold(resource: dict[str, Any], settings: dict[str, Any], key: str) -> Any:
    """The threshold a `var.x` (or each.value.threshold naming one) gives; the duration
    alarms' share of the function's timeout; None when the expression is another."""
    expression = reference(str(resource["threshold"]))
    if expression == "each.value.threshold":
        expression = reference(str(resource["for_each"][key]["threshold"]))
    if re.fullmatch(r"var\.\w+", expression):
        return settings[expression.removeprefix("var.")]
    if "timeout" in expression and "duration_timeout_ratio" in expression:
        timeout = truth.functions()[key]["timeout"]
        return timeout * 1000 * settings["duration_timeout_ratio"]
    return None


def alarm_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    cloudwatch = deployment.client("cloudwatch")
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=f"{settings['name']}-"
    )
    deployed = {
        alarm["AlarmName"]: alarm
        for page in pages
        for kind in ("MetricAlarms", "CompositeAlarms")
        for alarm in page.get(kind, [])
    }
    wanted = expected_alarms(deployment, settings)
    facts.compare("alarms (names)", set(wanted), set(deployed))
    topic = topic_arn(deployment, settings)
    for name, expected in sorted(wanted.items()):
        alarm = deployed.get(name, {})
        facts.compare(f"alarm {name} actions", [topic], alarm.get("AlarmActions", UNSET))
        facts.compare(f"alarm {name} OK actions", [topic], alarm.get("OKActions", UNSET))
        facts.compare(
            f"alarm {name} treat missing data",
            expected["treat_missing_data"],
            alarm.get("TreatMissingData", UNSET),
        )
        if expected["threshold"] is not None:
            facts.compare(
                f"alarm {name} threshold",
                float(expected["threshold"]),
                alarm.get("Threshold", UNSET),
            )


def topic_arn(deployment: Deployment, settings: dict[str, Any]) -> str:
    given = settings.get("alarm_topic_arn")
    if given:
        return str(given)
    return f"arn:aws:sns:{deployment.region}:{deployment.account_id}:{settings['name']}-alarms"


def topic_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    if settings.get("alarm_topic_arn"):
        return  # the caller's topic: not the module's to check
    arn = topic_arn(deployment, settings)
    sns = deployment.client("sns")
    topics = {topic["TopicArn"] for topic in sns.list_topics()["Topics"]}
    facts.compare(f"SNS topic {arn} exists", True, arn in topics)
    if arn not in topics:
        return
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    facts.compare("SNS topic key", deployment.key_arn, attributes.get("KmsMasterKeyId", UNSET))
    statements = json.loads(attributes.get("Policy", "{}")).get("Statement", [])
    publishers = [
        statement
        for statement in statements
        if statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and statement.get("Action") == "sns:Publish"
    ]
    facts.compare("SNS topic policy lets CloudWatch publish", 1, len(publishers))
    condition = publishers[0].get("Condition", {}) if publishers else {}
    facts.compare(
        "SNS topic policy: only this module's alarms",
        f"arn:aws:cloudwatch:{deployment.region}:{deployment.account_id}:alarm:"
        f"{settings['name']}-*",
        condition.get("ArnLike", {}).get("aws:SourceArn", UNSET),
    )


def dashboard_facts(deployment: Deployment, facts: Facts, settings: dict[str, Any]) -> None:
    """The dashboard exists and every metric it draws is of this deployment: its API, stage,
    functions and table, the custom namespace of the module's setting."""
    body = deployment.client("cloudwatch").get_dashboard(DashboardName=settings["name"])
    widgets = json.loads(body["DashboardBody"]).get("widgets", [])
    facts.compare("dashboard has widgets", True, bool(widgets))
    dimensions: dict[str, set[str]] = {}
    namespaces: set[str] = set()
    expressions: list[str] = []
    for widget in widgets:
        for metric in widget.get("properties", {}).get("metrics", []):
            plain = [part for part in metric if isinstance(part, str)]
            expressions.extend(
                str(part.get("expression", "")) for part in metric if isinstance(part, dict)
            )
            if len(plain) < 2:
                continue  # an expression ({"expression": ...}) names its dimensions inside
            namespaces.add(plain[0])
            for dimension, value in zip(plain[2::2], plain[3::2], strict=False):
                dimensions.setdefault(dimension, set()).add(value)
    custom = {namespace for namespace in namespaces if not namespace.startswith("AWS/")}
    facts.compare("dashboard custom namespace", {settings["metrics_namespace"]}, custom)
    api_name = deployment.client("apigateway").get_rest_api(restApiId=deployment.rest_api_id)
    expected = {
        "ApiName": {api_name["name"]},
        "Stage": {deployment.stage},
        "FunctionName": set(deployment.function_names.values()),
    }
    for dimension, values in expected.items():
        facts.compare(f"dashboard {dimension} values", values, dimensions.get(dimension, set()))
    tables = set(re.findall(r'TableName="([^"]+)"', " ".join(expressions)))
    facts.compare("dashboard TableName values (SEARCH expressions)", {deployment.table}, tables)

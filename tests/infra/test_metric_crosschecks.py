"""Alarms and dashboard against the code: every custom metric they read is one the functions
emit (name and dimensions from src/books_api/telemetry/catalogue.py), and every alarm notifies."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from tools.terraform_source import MODULE, clean, module

from books_api.telemetry import catalogue

FILES = (MODULE / "alarms.tf", MODULE / "dashboard.tf")
NAMESPACE = "${var.metrics_namespace}"
SCHEMA = re.compile(r"\{\$\{var\.metrics_namespace\},([^}]*)\}")
FILTER = re.compile(r'(\w+)="((?:\$\{[^}]*\}|[^"])*)"')
SERVICE_REFERENCE = re.compile(r'^\$\{local\.service\["(\w+)"\]\}$')
REPOSITORY = MODULE.parents[1]
BY_NAME = {metric.name: metric for metric in catalogue.METRICS}


def _parsed(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        document: dict[str, Any] = clean(hcl2.load(handle))
    return {"resource": document.get("resource", []), "locals": document.get("locals", [])}


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def references() -> list[tuple[str, str, dict[str, str]]]:
    """(where, metric name, {dimension: value}) of every custom metric the two files read."""
    found: list[tuple[str, str, dict[str, str]]] = []
    for path in FILES:
        for node in _walk(_parsed(path)):
            if isinstance(node, dict) and node.get("namespace") == NAMESPACE:
                found.append((path.name, node["metric_name"], dict(node.get("dimensions", {}))))
            elif isinstance(node, list) and node and node[0] == NAMESPACE:
                pairs = [item for item in node[2:] if not isinstance(item, dict)]
                found.append((path.name, node[1], dict(zip(pairs[::2], pairs[1::2], strict=True))))
            elif isinstance(node, str) and "SEARCH(" in node and NAMESPACE in node:
                node = node.replace('\\"', '"')  # HCL's escaped quotes
                schema = SCHEMA.search(node)
                assert schema, f"{path.name}: unreadable SEARCH {node}"
                filters = dict(FILTER.findall(node[schema.end() :]))
                name = filters.pop("MetricName")
                dimensions = {
                    key.strip(): filters.get(key.strip(), "*") for key in schema.group(1).split(",")
                }
                found.append((path.name, name, dimensions))
    return found


def _namespace_mentions() -> int:
    return sum(
        node.count("var.metrics_namespace")
        for path in FILES
        for node in _walk(_parsed(path))
        if isinstance(node, str)
    )


def test_every_custom_metric_reference_is_one_the_check_can_read() -> None:
    assert len(references()) == _namespace_mentions() > 0, (
        "a custom metric is named in a form this check cannot read (write it out literally, "
        "as [var.metrics_namespace, name, dimension, value, ...], a metric block, or a SEARCH)"
    )


@pytest.mark.parametrize(
    ("where", "name", "dimensions"), references(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_alarms_and_dashboard_read_only_metrics_the_code_emits(
    where: str, name: str, dimensions: dict[str, str]
) -> None:
    assert name in BY_NAME, f"{where} reads {name}, which the code never emits"
    metric = BY_NAME[name]
    assert tuple(sorted(dimensions)) in {tuple(sorted(s)) for s in metric.dimension_sets}, (
        f"{where} reads {name} by {sorted(dimensions)}; the code publishes it by "
        f"{[sorted(s) for s in metric.dimension_sets]} only"
    )
    service = SERVICE_REFERENCE.match(dimensions[catalogue.SERVICE])
    assert service and service.group(1) == metric.service, (
        f"{where}: {name} is the {metric.service} function's metric, not "
        f"{dimensions[catalogue.SERVICE]}"
    )
    for dimension, value in dimensions.items():
        if dimension != catalogue.SERVICE and value != "*":
            assert value in catalogue.DIMENSION_VALUES[dimension], (
                f"{where}: {name} {dimension}={value} is never emitted"
            )


def test_the_dashboard_or_an_alarm_reads_every_metric_the_code_emits() -> None:
    read = {name for _, name, _ in references()}
    assert read == set(BY_NAME), f"never shown or alarmed on: {sorted(set(BY_NAME) - read)}"


def test_each_function_publishes_to_the_namespace_the_alarms_read() -> None:
    assert module()["variable"]["metrics_namespace"]["default"] == catalogue.DEFAULT_NAMESPACE
    for function, variables in module()["locals"]["environment"].items():
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE, function
    functions = yaml.safe_load((REPOSITORY / "openapi" / "functions.yaml").read_text("utf-8"))
    for entry in functions.values():
        assert entry["environment"]["POWERTOOLS_METRICS_NAMESPACE"] == catalogue.DEFAULT_NAMESPACE
        assert entry["environment"]["POWERTOOLS_SERVICE_NAME"] == entry["name"], (
            "the catalogue names each metric's function by its service name"
        )


def _alarms() -> dict[str, dict[str, Any]]:
    alarms: dict[str, dict[str, Any]] = module()["resource"]["aws_cloudwatch_metric_alarm"]
    return alarms


@pytest.mark.parametrize("name", sorted(_alarms()))
def test_every_alarm_notifies_the_topic_and_chooses_its_missing_data(name: str) -> None:
    alarm = _alarms()[name]
    assert alarm["alarm_actions"] == alarm["ok_actions"] == "${local.alarm_actions}"
    assert alarm.get("treat_missing_data") in {"notBreaching", "breaching", "ignore", "missing"}, (
        f"{name} must choose treat_missing_data deliberately"
    )
    assert module()["locals"]["alarm_actions"] == ["${local.alarm_topic_arn}"]
    topic = module()["locals"]["alarm_topic_arn"]
    assert "var.alarm_topic_arn" in topic and "aws_sns_topic.alarms[0].arn" in topic


def test_table_alarms_cover_exactly_the_operations_the_books_function_is_granted() -> None:
    granted = module()["locals"]["function_statements"]["books"][0]["Action"]
    used = {action.split(":")[1] for action in granted} - {"DescribeTable"}
    assert set(module()["locals"]["dynamodb_operations"]) == used


def test_operations_in_the_catalogue_are_the_books_functions_routes() -> None:
    source = (REPOSITORY / "src" / "books_api" / "functions" / "books.py").read_text("utf-8")
    routes = next(
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "ROUTES"
    )
    assert isinstance(routes, ast.Dict)
    names = {value.id.lstrip("_") for value in routes.values if isinstance(value, ast.Name)}
    assert names == set(catalogue.OPERATIONS)

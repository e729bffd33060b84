"""Known emulator gaps (infra/terraform/examples/rehearsal/emulator_gaps.yaml): what moto
does not keep, the probe that shows it still does not, and the plan changes it explains."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from tools.rehearsal.deployment import Deployment
from tools.rehearsal.plan import Change

GAPS_FILE = (
    Path(__file__).resolve().parents[2] / "infra/terraform/examples/rehearsal/emulator_gaps.yaml"
)
PLACEHOLDER = re.compile(r"\{(\w+)(?::([^}]+))?\}")


class GapsFileError(Exception):
    """The gaps file cannot be used as it is."""


@dataclass(frozen=True)
class Probe:
    call: str  # service.operation, in boto3's names
    parameters: dict[str, Any]
    absent: str | None = None  # a key the answer lacks while the gap lasts
    empty: str | None = None  # or a list the answer leaves empty
    fails: bool = False  # or the call fails while the gap lasts


@dataclass(frozen=True)
class Gap:
    id: str
    summary: str
    evidence: str
    checked_instead: str
    probes: tuple[Probe, ...]
    plan_diff: frozenset[tuple[str, str]]  # (resource type, attribute) it makes plans change


@dataclass(frozen=True)
class KnownGaps:
    moto: str  # the version the evidence was taken from
    gaps: dict[str, Gap]


def load(path: Path = GAPS_FILE) -> KnownGaps:
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
        gaps = {gap_id: _gap(gap_id, entry) for gap_id, entry in document["gaps"].items()}
        return KnownGaps(str(document["moto"]), gaps)
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise GapsFileError(f"{path}: {error!r}") from None


def _gap(gap_id: str, entry: dict[str, Any]) -> Gap:
    probes = tuple(Probe(**probe) for probe in entry["probes"])
    if not probes:
        raise KeyError(f"{gap_id} has no probe")
    return Gap(
        id=gap_id,
        summary=" ".join(str(entry["summary"]).split()),
        evidence=str(entry["evidence"]).strip(),
        checked_instead=" ".join(str(entry["checked_instead"]).split()),
        probes=probes,
        plan_diff=frozenset((d["type"], d["attribute"]) for d in entry.get("plan_diff", [])),
    )


def run_probe(probe: Probe, deployment: Deployment) -> tuple[bool, str]:
    """(the gap still shows, what the answer held) for one probe against the deployment."""
    service, operation = probe.call.split(".")
    parameters = {key: _fill(value, deployment) for key, value in probe.parameters.items()}
    client = deployment.client(service)
    if probe.fails:
        try:
            getattr(client, operation)(**parameters)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return True, f"{probe.call} failed with HTTP {status}"
        return False, f"{probe.call} succeeded"
    answer = getattr(client, operation)(**parameters)
    answer.pop("ResponseMetadata", None)
    if probe.absent is not None:
        return probe.absent not in answer, f"{probe.call} answered keys {sorted(answer)}"
    assert probe.empty is not None
    held = answer.get(probe.empty)
    return not held, f"{probe.call} answered {probe.empty} = {json.dumps(held, default=str)}"


def _fill(value: Any, deployment: Deployment) -> Any:
    if isinstance(value, list):
        return [_fill(item, deployment) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, deployment) for key, item in value.items()}
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        kind, argument = match.group(1), match.group(2)
        if kind == "rest_api_id":
            return deployment.rest_api_id
        if kind == "function":
            return deployment.function_names[argument]
        if kind == "resource":
            return _resource_id(deployment, argument)
        raise GapsFileError(f"unknown placeholder {match.group(0)} in a probe")

    return PLACEHOLDER.sub(one, value)


def _resource_id(deployment: Deployment, path: str) -> str:
    items = deployment.client("apigateway").get_resources(restApiId=deployment.rest_api_id)
    for item in items["items"]:
        if item["path"] == path:
            return str(item["id"])
    raise GapsFileError(f"the REST API has no resource {path}")


def unexplained(changes: list[Change], known: KnownGaps) -> list[str]:
    """Changes of a second plan that no known gap explains: each is a module defect until
    shown otherwise."""
    explained = set().union(*(gap.plan_diff for gap in known.gaps.values()))
    problems = []
    for change in changes:
        leftover = [a for a in change.attributes if (change.type, a) not in explained]
        if change.actions != ("update",) or leftover or not change.attributes:
            problems.append(change.describe() + " (not a known emulator gap)")
    return problems


def explained(changes: list[Change], known: KnownGaps) -> dict[str, list[str]]:
    """Gap id -> the addresses whose changes it explains."""
    found: dict[str, list[str]] = {}
    for gap in known.gaps.values():
        for change in changes:
            if any((change.type, a) in gap.plan_diff for a in change.attributes):
                found.setdefault(gap.id, []).append(change.address)
    return found

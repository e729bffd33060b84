"""What a saved plan (`terraform show -json`) says: the changes it would make, attribute by
attribute, and the values Terraform holds for each resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MODULE = "module.books_api"


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    actions: tuple[str, ...]
    attributes: tuple[str, ...]  # top-level attributes whose value would change

    def describe(self) -> str:
        verb = "/".join(self.actions)
        return f"{self.address}: {verb} {', '.join(self.attributes) or '(whole resource)'}"


def changes(document: dict[str, Any]) -> list[Change]:
    """Every managed resource the plan would touch."""
    found = []
    for entry in document.get("resource_changes", []):
        actions = tuple(entry["change"]["actions"])
        if entry.get("mode") != "managed" or actions == ("no-op",):
            continue
        found.append(Change(entry["address"], entry["type"], actions, _changed(entry["change"])))
    return found


def _changed(change: dict[str, Any]) -> tuple[str, ...]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    names = set(before) | set(after) | set(unknown)
    return tuple(
        sorted(
            name
            for name in names
            if before.get(name) != after.get(name) or _any_true(unknown.get(name))
        )
    )


def _any_true(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_any_true(item) for item in value.values())
    if isinstance(value, list):
        return any(_any_true(item) for item in value)
    return value is True


def planned(document: dict[str, Any], address: str) -> dict[str, Any]:
    """The values the plan holds for one resource (after the change, if any)."""
    for entry in document.get("resource_changes", []):
        if entry["address"] == address:
            after: dict[str, Any] = entry["change"].get("after") or {}
            return after
    return {}


def managed_resources(document: dict[str, Any]) -> int:
    """Managed resources in the state the plan started from."""
    root = document.get("prior_state", {}).get("values", {}).get("root_module", {})
    return _count(root)


def _count(module: dict[str, Any]) -> int:
    own = sum(1 for resource in module.get("resources", []) if resource.get("mode") == "managed")
    return own + sum(_count(child) for child in module.get("child_modules", []))

"""The Terraform module as python-hcl2 reads it, with string quotes and markers removed."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

MODULE = Path(__file__).resolve().parents[1] / "infra" / "terraform"
REFERENCE = re.compile(r"^\$\{(.*)\}$", re.DOTALL)


def tf_files() -> list[Path]:
    return sorted(MODULE.rglob("*.tf"), key=str)


def clean(value: Any) -> Any:
    """`"\\"text\\""` -> `text`; `"${expr}"` stays; drop `__is_block__` and comments."""
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        return value
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {
            clean(key): clean(item)
            for key, item in value.items()
            if key not in ("__is_block__", "__comments__", "__inline_comments__")
        }
    return value


@cache
def module() -> dict[str, Any]:
    """Top-level blocks of the module's own .tf files (examples excluded), merged."""
    merged: dict[str, Any] = {"locals": {}, "resource": {}, "variable": {}, "output": {}}
    for path in sorted(MODULE.glob("*.tf")):
        with path.open() as handle:
            document = clean(hcl2.load(handle))
        for block in document.get("locals", []):
            merged["locals"].update(block)
        for block in document.get("resource", []):
            for kind, named in block.items():
                merged["resource"].setdefault(kind, {}).update(named)
        for kind in ("variable", "output"):
            for block in document.get(kind, []):
                merged[kind].update(block)
    return merged


def reference(value: str) -> str:
    """The expression inside `${...}`, or the value itself."""
    match = REFERENCE.match(value)
    return match.group(1) if match else value

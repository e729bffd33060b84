"""The functions file: each function's name, handler, timeout, memory and environment.

Its top-level keys name functions, except SETTINGS_KEYS, which hold the gateway's settings
beside them (read by the gateway, not here).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SETTINGS_KEYS = frozenset({"stage_variables", "cognito_user_pools"})


class DocumentError(ValueError):
    """The OpenAPI document or the functions file cannot be served."""


@dataclass(frozen=True)
class FunctionSpec:
    key: str  # the variable that names it in the document, e.g. books_invoke_arn
    name: str
    handler: str
    timeout_s: float
    memory_mb: int
    environment: dict[str, str]


def load_functions(path: Path) -> dict[str, FunctionSpec]:
    raw = read_yaml(path)
    specs = {}
    for key, entry in raw.items():
        if key in SETTINGS_KEYS:
            continue
        if not isinstance(entry, dict) or "handler" not in entry:
            raise DocumentError(
                f"{path}: function {key!r} needs a handler (handler: package.module.function)"
            )
        environment = entry.get("environment") or {}
        specs[key] = FunctionSpec(
            key=key,
            name=str(entry.get("name", key)),
            handler=str(entry["handler"]),
            timeout_s=float(entry.get("timeout", 3)),
            memory_mb=int(entry.get("memory", 128)),
            environment={str(k): "" if v is None else str(v) for k, v in environment.items()},
        )
    return specs


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping a YAML file holds; DocumentError names the file (and line and column)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DocumentError(f"{path}: cannot be read ({reason})") from error
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = error.problem or error.context or "not valid YAML"
        raise DocumentError(f"{where}: {problem} (not valid YAML)") from error
    except yaml.YAMLError as error:
        raise DocumentError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(data, dict):
        raise DocumentError(f"{path}: must hold a mapping (name: value lines), not {_kind(data)}")
    return data


def _kind(data: Any) -> str:
    return "an empty file" if data is None else f"a {type(data).__name__}"

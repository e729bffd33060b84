"""Match a request path and method to an operation of the document, as API Gateway does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from books_api.local.gateway.document import Operation


@dataclass(frozen=True)
class Match:
    operation: Operation
    path_parameters: dict[str, str] | None


class Router:
    def __init__(self, operations: list[Operation]) -> None:
        # Literal paths first, then templated ones with the most literal segments first.
        self._exact: dict[tuple[str, str], Operation] = {}
        self._templated: list[tuple[re.Pattern[str], Operation]] = []
        for operation in operations:
            if "{" not in operation.resource:
                self._exact[(operation.method, operation.resource)] = operation
            else:
                self._templated.append((_compile(operation.resource), operation))
        # The most specific first: more segments, then plain {param} before greedy {proxy+},
        # then a method of its own before ANY.
        self._templated.sort(
            key=lambda entry: (
                -entry[1].resource.count("/"),
                "+}" in entry[1].resource,
                entry[1].resource.count("{"),
                entry[1].method == "ANY",
            )
        )

    def match(self, method: str, path: str) -> Match | None:
        # API Gateway treats a trailing slash as the same resource.
        resource_path = path.rstrip("/") or "/"
        operation = self._exact.get((method, resource_path)) or self._exact.get(
            ("ANY", resource_path)
        )
        if operation is not None:
            return Match(operation, None)
        for pattern, operation in self._templated:
            if operation.method != method and operation.method != "ANY":
                continue
            found = pattern.fullmatch(resource_path)
            if found:
                params = {key: unquote(value) for key, value in found.groupdict().items()}
                return Match(operation, params)
        return None


def _compile(resource: str) -> re.Pattern[str]:
    pattern = ""
    for segment in resource.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            pattern += f"/(?P<{segment[1:-2]}>.+)"
        elif segment.startswith("{") and segment.endswith("}"):
            pattern += f"/(?P<{segment[1:-1]}>[^/]+)"
        else:
            pattern += "/" + re.escape(segment)
    return re.compile(pattern or "/")

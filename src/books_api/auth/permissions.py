"""Roles to routes: `ROLE_PERMISSIONS` entries, checked at cold start, as method-ARN routes.

An entry is `*` (every route) or `METHOD /path`: METHOD is an HTTP method, `ANY` or `*`;
the path is a resource of the API, where a template segment (`{id}`, `{proxy+}`) matches
any value. `"GET /books"` becomes the route `GET/books`, `"*"` becomes `*/*`, and
`"GET /books/{id}"` becomes `GET/books/*`: the tail of
`arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{route}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from books_api.auth.keys import ConfigurationError

EVERY_ROUTE = "*/*"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()+,;=:@%-]+|\{[A-Za-z0-9._-]+\+?\}")


def route(entry: str) -> str:
    """The method-ARN route of one entry; raise ValueError with the reason if it is not one."""
    text = entry.strip()
    if text == "*":
        return EVERY_ROUTE
    method, _, path = text.partition(" ")
    method = method.upper()
    path = path.strip()
    if method == "ANY":
        method = "*"
    if method != "*" and method not in METHODS:
        raise ValueError(f"unknown method {method!r} (use GET, POST, PUT, PATCH, DELETE, ANY...)")
    if path == "*":
        return f"{method}/*"
    if not path.startswith("/"):
        raise ValueError("the path must start with /")
    if path == "/":
        return f"{method}/"
    segments = path[1:].split("/")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            raise ValueError(f"bad path segment {segment!r}")
    resource = "/".join("*" if s.startswith("{") else s for s in segments)
    return f"{method}/{resource}"


class Permissions:
    """Which routes each role may call; built once, at cold start."""

    def __init__(self, table: Mapping[str, Sequence[str]]) -> None:
        problems: list[str] = []
        routes: dict[str, tuple[str, ...]] = {}
        for role, entries in table.items():
            role_routes: list[str] = []
            for entry in entries:
                try:
                    role_routes.append(route(entry))
                except ValueError as error:
                    problems.append(f"ROLE_PERMISSIONS[{role!r}] entry {entry!r}: {error}")
            routes[role] = _simplest(role_routes)
        if problems:
            raise ConfigurationError("; ".join(problems))
        self._routes = routes
        self._by_roles: dict[tuple[str, ...], tuple[str, ...]] = {}

    def routes_for(self, roles: Iterable[str]) -> tuple[str, ...]:
        """Every route the union of `roles` may call (empty: none)."""
        key = tuple(roles)
        cached = self._by_roles.get(key)
        if cached is None:
            merged = [r for role in key for r in self._routes.get(role, ())]
            cached = _simplest(merged)
            if len(self._by_roles) < 1024:
                self._by_roles[key] = cached
        return cached


def _simplest(routes: Iterable[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(routes))
    return (EVERY_ROUTE,) if EVERY_ROUTE in unique else unique

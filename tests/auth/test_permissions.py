"""ROLE_PERMISSIONS: entries become method-ARN routes, and policies stay right while cached."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from books_api.auth.keys import ConfigurationError
from books_api.auth.permissions import Permissions, route
from books_api.auth.policy import Decision, evaluate
from books_api.local.gateway.document import default_paths
from books_api.settings import DEFAULT_ROLE_PERMISSIONS
from tests.auth.conftest import (
    SECRET,
    STAGE_ARN,
    LoggedAuthorizer,
    claims,
    hs256,
    method_arn,
    token_event,
)

READER = {"reader": ["GET /books", "GET /book"], "api_user": ["*"]}
README = Path(__file__).parents[2] / "README.md"


def operations() -> list[tuple[str, str]]:
    """(METHOD, resource path) of every operation in openapi/books.yaml."""
    document = yaml.safe_load(default_paths()[0].read_text())
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch", "head", "options"}
    ]


def arn_for(method: str, path: str) -> str:
    concrete = re.sub(r"\{[^}]+\}", "some-id", path)
    return method_arn(method, concrete.lstrip("/"))


def readme_examples() -> list[dict[str, list[str]]]:
    return [
        json.loads(match)
        for match in re.findall(r"ROLE_PERMISSIONS='([^']+)'", README.read_text("utf-8"))
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("*", "*/*"),
        ("GET /books", "GET/books"),
        ("get /book", "GET/book"),
        ("DELETE /book", "DELETE/book"),
        ("ANY /book", "*/book"),
        ("* /books", "*/books"),
        ("GET /books/{id}", "GET/books/*"),
        ("GET /files/{proxy+}", "GET/files/*"),
        ("GET *", "GET/*"),
        ("GET /", "GET/"),
    ],
)
def test_entry_becomes_its_method_arn_route(entry: str, expected: str) -> None:
    assert route(entry) == expected


@pytest.mark.parametrize(
    "entry",
    ["", "GET", "FETCH /books", "GET books", "GET /books/", "GET /bo*ks", "GET /a//b", "GET /x?y"],
)
def test_malformed_entry_is_refused_with_its_reason(entry: str) -> None:
    with pytest.raises(ValueError):
        route(entry)


def test_a_bad_entry_fails_closed_with_a_clear_log_line() -> None:
    env = {"JWT_SECRET": SECRET, "ROLE_PERMISSIONS": json.dumps({"api_user": ["FETCH /books"]})}
    authorizer = LoggedAuthorizer(env)
    first = authorizer.lines()[0]
    assert first["level"] == "ERROR"
    assert "FETCH /books" in first["reason"] and "unknown method" in first["reason"]
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(token_event(hs256()))
    assert authorizer.lines()[-1]["reason"] == "authorizer misconfigured"


@pytest.mark.parametrize("raw", ["{not json", '["api_user"]', '{"api_user": "*"}', '{"r": [1]}'])
def test_unusable_role_permissions_json_fails_closed(raw: str) -> None:
    authorizer = LoggedAuthorizer({"JWT_SECRET": SECRET, "ROLE_PERMISSIONS": raw})
    assert "ROLE_PERMISSIONS" in authorizer.lines()[0]["reason"]
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(token_event(hs256()))


def test_permissions_table_reports_every_bad_entry_at_once() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Permissions({"a": ["GET /ok", "BAD /x"], "b": ["GET nope"]})
    assert "BAD /x" in str(raised.value) and "GET nope" in str(raised.value)


def policy_for(role: Any, permissions: dict[str, list[str]], method: str, path: str) -> Any:
    authorizer = LoggedAuthorizer(
        {"JWT_SECRET": SECRET, "ROLE_PERMISSIONS": json.dumps(permissions)}
    )
    return authorizer(token_event(hs256(claims(Role=role)), method, path))


def test_the_policy_is_the_same_whatever_route_was_asked_first() -> None:
    """API Gateway caches the first answer for every route, so it may not depend on the route."""
    answers = [
        policy_for("reader", READER, m, arn_for(m, p).split("/", 3)[3]) for m, p in operations()
    ]
    assert all(answer == answers[0] for answer in answers)


@pytest.mark.parametrize(("method", "path"), operations())
def test_reader_policy_allows_exactly_the_reads(method: str, path: str) -> None:
    policy = policy_for("reader", READER, "GET", "books")
    decision = evaluate(policy["policyDocument"], arn_for(method, path))
    assert decision is (Decision.ALLOW if method == "GET" else Decision.IMPLICIT_DENY)


@pytest.mark.parametrize(("method", "path"), operations())
def test_api_user_policy_allows_every_operation(method: str, path: str) -> None:
    policy = policy_for("api_user", READER, "DELETE", "book")
    assert evaluate(policy["policyDocument"], arn_for(method, path)) is Decision.ALLOW


def test_policy_never_reaches_another_api_or_stage() -> None:
    policy = policy_for("api_user", READER, "GET", "books")
    other_api = STAGE_ARN.replace("abc123", "zzz999") + "/GET/books"
    other_stage = STAGE_ARN.replace("/prod", "/dev") + "/GET/books"
    assert evaluate(policy["policyDocument"], other_api) is Decision.IMPLICIT_DENY
    assert evaluate(policy["policyDocument"], other_stage) is Decision.IMPLICIT_DENY


def test_role_without_routes_gets_an_explicit_deny_for_every_route() -> None:
    policy = policy_for("guest", READER, "GET", "books")
    for method, path in operations():
        assert evaluate(policy["policyDocument"], arn_for(method, path)) is Decision.EXPLICIT_DENY


def test_list_valued_role_claim_merges_the_routes_of_each_role() -> None:
    permissions = {"reader": ["GET /books"], "editor": ["PATCH /book"]}
    policy = policy_for(["reader", "editor"], permissions, "GET", "books")
    resources = policy["policyDocument"]["Statement"][0]["Resource"]
    assert resources == [f"{STAGE_ARN}/GET/books", f"{STAGE_ARN}/PATCH/book"]
    assert policy["context"]["role"] == "reader,editor"


def test_context_carries_sub_role_and_scopes_as_strings() -> None:
    policy = policy_for("api_user", READER, "GET", "books")
    assert policy["context"] == {"sub": "alice", "role": "api_user", "scopes": ""}


def example_tables() -> list[dict[str, Any]]:
    return [{k: list(v) for k, v in DEFAULT_ROLE_PERMISSIONS.items()}, READER, *readme_examples()]


def test_readme_shows_role_permission_examples() -> None:
    assert readme_examples(), "README.md should show ROLE_PERMISSIONS='{...}' examples"


@pytest.mark.parametrize("table", example_tables())
def test_every_documented_entry_names_an_operation_of_the_api(table: dict[str, Any]) -> None:
    permissions = Permissions(table)
    arns = [arn_for(method, path) for method, path in operations()]
    for role in table:
        for resource in permissions.routes_for([role]):
            pattern = f"{STAGE_ARN}/{resource}"
            document = {
                "Statement": [
                    {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": pattern}
                ]
            }
            assert any(evaluate(document, arn) is Decision.ALLOW for arn in arns), (role, resource)


def test_default_permissions_let_api_user_call_everything_and_no_one_else() -> None:
    assert DEFAULT_ROLE_PERMISSIONS == {"api_user": ("*",)}
    authorizer = LoggedAuthorizer({"JWT_SECRET": SECRET})
    policy = authorizer(token_event(hs256(claims(Role="reader"))))
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Deny"

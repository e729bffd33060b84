"""Tokens shaped as Cognito, Auth0 and Keycloak issue them work with ROLE_CLAIM alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from books_api.auth.authorizer import Unauthorized
from tests.auth.conftest import SECRET, LoggedAuthorizer, claims, hs256, token_event

PERMISSIONS = json.dumps({"admins": ["*"], "readers": ["GET /books", "GET /book"]})


def decide(role_claim: str, payload: dict[str, Any], method: str = "GET", **env: str) -> Any:
    authorizer = LoggedAuthorizer(
        {"JWT_SECRET": SECRET, "ROLE_CLAIM": role_claim, "ROLE_PERMISSIONS": PERMISSIONS, **env}
    )
    return authorizer(token_event(hs256(payload), method, "book"))


def effect(policy: Any) -> str:
    return str(policy["policyDocument"]["Statement"][0]["Effect"])


def test_cognito_groups_list_claim() -> None:
    payload = claims(Role=None, **{"cognito:groups": ["readers"], "token_use": "access"})
    policy = decide("cognito:groups", payload)
    assert effect(policy) == "Allow"
    assert policy["context"]["role"] == "readers"
    resources = policy["policyDocument"]["Statement"][0]["Resource"]
    assert [r.rsplit("/prod/", 1)[1] for r in resources] == ["GET/books", "GET/book"]


def test_cognito_access_token_audience_is_its_client_id() -> None:
    payload = claims(**{"cognito:groups": ["admins"], "client_id": "app-client-1"})
    policy = decide("cognito:groups", payload, JWT_AUDIENCE="app-client-1")
    assert effect(policy) == "Allow"
    with pytest.raises(Unauthorized):
        decide("cognito:groups", payload, JWT_AUDIENCE="another-client")


def test_auth0_namespaced_roles_claim_with_dots_in_its_name() -> None:
    claim = "https://books.example.com/roles"
    payload = claims(**{claim: ["admins"], "scope": "read:books write:books"})
    policy = decide(claim, payload, "DELETE")
    assert effect(policy) == "Allow"
    assert policy["context"]["scopes"] == "read:books write:books"


def test_keycloak_realm_roles_by_dotted_path() -> None:
    payload = claims(realm_access={"roles": ["offline_access", "readers"]})
    assert effect(decide("realm_access.roles", payload)) == "Allow"
    policy = decide("realm_access.roles", payload)
    assert policy["context"]["role"] == "offline_access,readers"


def test_keycloak_client_roles_by_dotted_path() -> None:
    payload = claims(resource_access={"books-api": {"roles": ["admins"]}})
    assert effect(decide("resource_access.books-api.roles", payload)) == "Allow"


def test_dotted_path_into_a_missing_object_gives_no_role() -> None:
    payload = claims(realm_access=["readers"])
    assert effect(decide("realm_access.roles", payload)) == "Deny"


def test_scp_list_becomes_space_separated_scopes() -> None:
    policy = decide("Role", claims(Role="admins", scp=["books.read", "books.write"]))
    assert policy["context"]["scopes"] == "books.read books.write"

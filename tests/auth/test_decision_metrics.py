"""The authorizer's EMF records: one per decision (outcome and reason category), one per
key-source fetch (latency, failures), one per JWKS refresh."""

from __future__ import annotations

import ast
import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import jwt
import pytest
from aws_lambda_powertools import Logger
from cryptography.hazmat.primitives.asymmetric import rsa

from books_api.auth.authorizer import Authorizer, Unauthorized
from books_api.settings import AuthSettings, TelemetrySettings
from books_api.telemetry import catalogue
from books_api.telemetry.authorizer import AuthorizerTelemetry, reason_category
from tests.auth.conftest import SECRET, claims, hs256, token_event
from tests.auth.jwks_site import JwksSite, jwks_site, public_jwk

AUTH_SOURCE = Path(__file__).resolve().parents[2] / "src" / "books_api" / "auth"


def records(env: dict[str, str], *events: dict[str, Any]) -> list[dict[str, Any]]:
    """The EMF records printed while a new authorizer decides `events`."""
    telemetry = AuthorizerTelemetry(TelemetrySettings.from_env("authorizer", {}))
    out = io.StringIO()
    with redirect_stdout(out):
        logger = Logger(service="authorizer", stream=io.StringIO())
        authorizer = Authorizer(AuthSettings.from_env(env), logger, observer=telemetry)
        for event in events:
            try:
                authorizer.handle(event, None)
            except Unauthorized:
                pass
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


def decisions(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["outcome"], r["reason"]) for r in found if "AuthorizerDecisions" in r]


def test_each_decision_is_one_record_by_outcome_and_reason_category() -> None:
    env = {"JWT_SECRET": SECRET, "ROLE_PERMISSIONS": '{"api_user": ["*"], "guest": []}'}
    found = records(
        env,
        token_event(hs256()),
        token_event(hs256(claims(Role="guest"))),
        token_event(hs256(claims(exp=1))),
        token_event(hs256(secret="another-secret-0123456789-abcdefghijklmnop")),
        token_event("not a token"),
        token_event(hs256(claims(nbf=4_000_000_000))),
    )
    assert decisions(found) == [
        ("Allow", "permitted"),
        ("Deny", "role"),
        ("Unauthorized", "expired"),
        ("Unauthorized", "bad_signature"),
        ("Unauthorized", "malformed"),
        ("Unauthorized", "claims"),
    ]
    for record in found:
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == catalogue.DEFAULT_NAMESPACE
        assert sorted(map(sorted, directive["Dimensions"])) == sorted(
            map(sorted, catalogue.DECISION_DIMENSIONS)
        )


def test_a_misconfigured_authorizer_counts_its_refusals_as_misconfigured() -> None:
    found = records({"JWT_SECRET": "short"}, token_event(hs256()))
    assert decisions(found) == [("Unauthorized", "misconfigured")]


@pytest.fixture
def site() -> Iterator[JwksSite]:
    with jwks_site() as running:
        yield running


def test_jwks_fetches_are_timed_and_each_refresh_counted(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "one"))
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "one"})
    found = records({"JWKS_URL": site.url}, token_event(token), token_event(token))
    fetches = [r for r in found if "KeySourceFetchLatency" in r]
    assert len(fetches) == 1, "the key set is fetched once, then cached"
    assert fetches[0]["key_source"] == "jwks" and "KeySourceFetchFailures" not in fetches[0]
    assert fetches[0]["KeySourceFetchLatency"][0] > 0
    assert sum(1 for r in found if "JwksRefreshes" in r) == 1
    assert decisions(found) == [("Allow", "permitted")] * 2


def test_a_failed_jwks_fetch_is_a_failure_and_no_refresh(rsa_key: rsa.RSAPrivateKey) -> None:
    found = records({"JWKS_URL": "http://127.0.0.1:9/jwks.json"}, token_event(hs256()))
    # An HS256 token is refused before any key is needed: ask for an RS256 one.
    assert not [r for r in found if "KeySourceFetchLatency" in r]
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k"})
    found = records({"JWKS_URL": "http://127.0.0.1:9/jwks.json"}, token_event(token))
    (fetch,) = [r for r in found if "KeySourceFetchLatency" in r]
    assert fetch["KeySourceFetchFailures"] == [1.0] and fetch["key_source"] == "jwks"
    assert not [r for r in found if "JwksRefreshes" in r]
    assert decisions(found) == [("Unauthorized", "unknown_key")]


def _rejection_texts() -> set[str]:
    """The leading literal text of every TokenRejected reason the auth code can give."""
    texts: set[str] = set()
    for path in AUTH_SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in {"TokenRejected", "ValueError"} or not node.args:
                continue
            if path.name != "jwks.py" and node.func.id == "ValueError":
                continue  # only jwks.py turns a ValueError into the reason
            argument = node.args[0]
            if isinstance(argument, ast.JoinedStr):
                argument = argument.values[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                texts.add(argument.value)
    return texts


def test_every_rejection_reason_has_a_category_of_its_own() -> None:
    texts = _rejection_texts()
    assert len(texts) > 20, "the reasons were not found"
    texts -= {'a JWKS is a JSON object with a "keys" list'}  # a fetch failure, not a reason
    uncategorised = sorted(t for t in texts if reason_category("Unauthorized", t) == "other")
    assert not uncategorised, f"add these to books_api.telemetry.authorizer: {uncategorised}"
    assert {reason_category("Unauthorized", t) for t in texts} <= set(catalogue.REASONS)

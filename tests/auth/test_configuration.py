"""Cold-start configuration: weak secrets, algorithm allow-lists, key sources, logging."""

from __future__ import annotations

import time

import pytest
import yaml

from books_api.auth.authorizer import Unauthorized
from books_api.local.gateway.document import default_paths
from books_api.settings import AUTH_VARIABLES, TELEMETRY_VARIABLES, AuthSettings
from tests.auth.conftest import SECRET, LoggedAuthorizer, claims, hs256, token_event
from tests.auth.signing import hmac_sign

ARTICLE_SECRET = "secret_api_tutorial"


def article_token(**overrides: object) -> str:
    """A token as the article makes them: Name and Role, no sub, signed with its secret."""
    payload = {"Name": "Chinmay", "Role": "api_user", "exp": int(time.time()) + 600, **overrides}
    return hmac_sign({"alg": "HS256", "typ": "JWT"}, payload, ARTICLE_SECRET.encode())


def refused_at_cold_start(authorizer: LoggedAuthorizer, words: str) -> None:
    first = authorizer.lines()[0]
    assert first["level"] == "ERROR"
    assert first["message"] == "Authorizer configuration refused: every request answers 401"
    assert words in first["reason"]
    with pytest.raises(Unauthorized):
        authorizer(token_event(hs256()))


def test_weak_secret_is_refused_at_cold_start_with_a_clear_log_line() -> None:
    authorizer = LoggedAuthorizer({"JWT_SECRET": ARTICLE_SECRET})
    refused_at_cold_start(authorizer, "19 bytes; at least 32 are required")
    with pytest.raises(Unauthorized):
        authorizer(token_event(article_token()))
    assert ARTICLE_SECRET not in authorizer.log_text()


def test_article_tokens_are_accepted_with_allow_weak_secret_and_its_claim_check() -> None:
    env = {
        "JWT_SECRET": ARTICLE_SECRET,
        "ALLOW_WEAK_SECRET": "1",
        "REQUIRED_CLAIMS": "Name=Chinmay",
    }
    authorizer = LoggedAuthorizer(env)
    policy = authorizer(token_event(article_token()))
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert policy["principalId"] == "anonymous"
    assert policy["context"]["sub"] == ""
    with pytest.raises(Unauthorized):
        authorizer(token_event(article_token(Name="Someone")))


def test_secret_shaped_like_a_public_key_is_refused() -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----"
    refused_at_cold_start(LoggedAuthorizer({"JWT_SECRET": pem}), "looks like a public key")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"JWT_SECRET": ""}, "no key source"),
        ({"JWKS_URL": "https://idp.example/jwks.json"}, "set only one key source"),
        ({"JWT_ALGORITHMS": "none"}, '"none" is never accepted'),
        ({"JWT_ALGORITHMS": "HS256,RS256"}, "RS256 cannot be verified with a shared secret"),
        (
            {
                "JWT_SECRET": "",
                "JWKS_URL": "https://idp.example/jwks.json",
                "JWT_ALGORITHMS": "HS256",
            },
            "HS256 cannot be verified with JWKS public keys",
        ),
        ({"JWT_SECRET": "", "JWKS_URL": "file:///etc/passwd"}, "JWKS_URL must be"),
        ({"JWT_SECRET": "", "JWKS_URL": "http://idp.example/jwks.json"}, "JWKS_URL must be"),
        ({"JWT_LEEWAY_SECONDS": "soon"}, "JWT_LEEWAY_SECONDS must be a number"),
        ({"JWKS_MIN_REFRESH_SECONDS": "-1"}, "JWKS_MIN_REFRESH_SECONDS must be a number"),
        ({"REQUIRED_CLAIMS": "=Chinmay"}, "has no claim name"),
        ({"POWERTOOLS_LOG_LEVEL": "LOUD"}, "POWERTOOLS_LOG_LEVEL must be"),
    ],
    ids=lambda value: value if isinstance(value, str) else ",".join(value),
)
def test_unusable_configuration_fails_closed(env: dict[str, str], words: str) -> None:
    refused_at_cold_start(LoggedAuthorizer({"JWT_SECRET": SECRET, **env}), words)


def test_algorithm_allow_list_may_widen_within_the_key_family() -> None:
    authorizer = LoggedAuthorizer({"JWT_SECRET": SECRET, "JWT_ALGORITHMS": "HS256, hs512"})
    token = hmac_sign({"alg": "HS512"}, claims(), SECRET.encode(), "sha512")
    assert authorizer(token_event(token))["principalId"] == "alice"


def test_settings_are_read_from_the_given_mapping_only() -> None:
    settings = AuthSettings.from_env(
        {
            "JWT_SECRET": SECRET,
            "JWT_ISSUER": "https://a.example, https://b.example",
            "JWT_AUDIENCE": "books",
            "REQUIRED_CLAIMS": "Name=Chinmay, tenant",
            "ROLE_CLAIM": "realm_access.roles",
            "JWT_LEEWAY_SECONDS": "5",
        }
    )
    assert settings.issuers == ("https://a.example", "https://b.example")
    assert settings.audiences == ("books",)
    assert settings.required_claims == (("Name", "Chinmay"), ("tenant", None))
    assert settings.role_claim == "realm_access.roles"
    assert settings.leeway_s == 5
    assert settings.problems == ()


def test_each_decision_is_one_log_line_with_reason_and_request_id() -> None:
    class Context:
        aws_request_id = "req-123"

    authorizer = LoggedAuthorizer({"JWT_SECRET": SECRET})
    authorizer.authorizer.handle(token_event(hs256()), Context())
    with pytest.raises(Unauthorized):
        authorizer.authorizer.handle(token_event(hs256(claims(exp=1))), Context())
    allow, expired = authorizer.lines()
    assert allow["decision"] == "allow" and allow["sub"] == "alice"
    assert expired["decision"] == "unauthorized" and expired["reason"] == "expired"
    assert {allow["function_request_id"], expired["function_request_id"]} == {"req-123"}


def test_malformed_events_are_unauthorized() -> None:
    authorizer = LoggedAuthorizer({"JWT_SECRET": SECRET})
    for event in [
        None,
        [],
        {},
        {"authorizationToken": hs256()},
        {**token_event(hs256()), "methodArn": "x"},
    ]:
        with pytest.raises(Unauthorized):
            authorizer(event)  # type: ignore[arg-type]


def test_functions_file_lists_exactly_the_authorizer_variables() -> None:
    functions = yaml.safe_load(default_paths()[1].read_text())
    (authorizer,) = [f for f in functions.values() if f["name"] == "authorizer"]
    expected = {
        *AUTH_VARIABLES,
        *TELEMETRY_VARIABLES,
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_LOG_LEVEL",
    }
    assert set(authorizer["environment"]) == expected
    assert AuthSettings.from_env(authorizer["environment"]).problems == ()

"""JWT_SECRET_ARN (Secrets Manager) and JWT_SECRET_PARAMETER (SSM), against moto in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from books_api.auth import tokens
from books_api.auth.authorizer import Unauthorized
from books_api.auth.aws_secrets import fetch_secret
from books_api.auth.keys import SECRET_MAX_AGE_S, FetchedSecret
from tests.auth.conftest import LoggedAuthorizer, claims, hs256, token_event
from tests.auth.signing import hmac_sign

STRONG = "Zx9-strong-secret-kept-in-secrets-manager-0123456789"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def create_secret(value: str) -> str:
    client = boto3.client("secretsmanager")
    arn: str = client.create_secret(Name="books-api/jwt", SecretString=value)["ARN"]
    return arn


def allowed(authorizer: LoggedAuthorizer, token: str) -> bool:
    try:
        policy: dict[str, Any] = authorizer(token_event(token))
    except Unauthorized:
        return False
    return bool(policy["policyDocument"]["Statement"][0]["Effect"] == "Allow")


def arn_authorizer(arn: str, **env: str) -> LoggedAuthorizer:
    return LoggedAuthorizer({"JWT_SECRET_ARN": arn, **env})


def test_raw_secret_string_verifies_tokens(aws: None) -> None:
    authorizer = arn_authorizer(create_secret(STRONG))
    assert allowed(authorizer, hs256(secret=STRONG))
    assert not allowed(authorizer, hs256(secret=STRONG + "x"))


def test_json_secret_string_uses_its_secret_key(aws: None) -> None:
    document = json.dumps({"secret": STRONG, "note": "rotated by ops"})
    authorizer = arn_authorizer(create_secret(document))
    assert allowed(authorizer, hs256(secret=STRONG))
    assert not allowed(authorizer, hs256(secret=document))


def test_secret_is_fetched_once_per_container(aws: None) -> None:
    arn = create_secret(STRONG)
    authorizer = arn_authorizer(arn)
    assert allowed(authorizer, hs256(secret=STRONG))
    boto3.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert allowed(authorizer, hs256(claims(sub="second"), secret=STRONG))


def test_missing_secret_answers_401_and_logs_the_aws_error(aws: None) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope-AbCdEf"
    authorizer = arn_authorizer(arn)
    with pytest.raises(Unauthorized):
        authorizer(token_event(hs256(secret=STRONG)))
    failure = next(line for line in authorizer.lines() if line["level"] == "WARNING")
    assert failure["reason"] == "ResourceNotFoundException ResourceNotFoundException"
    assert authorizer.lines()[-1]["reason"] == "secret unavailable"


def test_weak_stored_secret_is_refused_unless_allowed(aws: None) -> None:
    arn = create_secret("secret_api_tutorial")
    token = hmac_sign({"alg": "HS256", "typ": "JWT"}, claims(), b"secret_api_tutorial")
    refused = arn_authorizer(arn)
    with pytest.raises(Unauthorized):
        refused(token_event(token))
    assert any("19 bytes" in line["reason"] for line in refused.lines())
    assert "secret_api_tutorial" not in refused.log_text()
    assert allowed(arn_authorizer(arn, ALLOW_WEAK_SECRET="1"), token)


def test_json_without_secret_key_is_a_clear_failure(aws: None) -> None:
    authorizer = arn_authorizer(create_secret(json.dumps({"password": STRONG})))
    with pytest.raises(Unauthorized):
        authorizer(token_event(hs256(secret=STRONG)))
    assert any('no string key "secret"' in line["reason"] for line in authorizer.lines())
    assert STRONG not in authorizer.log_text()


def test_ssm_secure_string_is_read_with_decryption(aws: None) -> None:
    boto3.client("ssm").put_parameter(
        Name="/books-api/jwt-secret", Value=STRONG, Type="SecureString"
    )
    authorizer = LoggedAuthorizer({"JWT_SECRET_PARAMETER": "/books-api/jwt-secret"})
    assert allowed(authorizer, hs256(secret=STRONG))
    assert not allowed(authorizer, hs256(secret="y" * 40))


def test_missing_parameter_answers_401(aws: None) -> None:
    authorizer = LoggedAuthorizer({"JWT_SECRET_PARAMETER": "/books-api/absent"})
    with pytest.raises(Unauthorized):
        authorizer(token_event(hs256(secret=STRONG)))
    assert any("ParameterNotFound" in line["reason"] for line in authorizer.lines())


COLD_START = """
import json, sys
import books_api.functions.authorizer as function
event = {"type": "TOKEN", "authorizationToken": sys.argv[1],
         "methodArn": "arn:aws:execute-api:eu-west-1:1:api/prod/GET/books"}
try:
    function.lambda_handler(event, None)
except Exception as error:
    pass
print(json.dumps(sorted(m for m in ("boto3", "botocore.client") if m in sys.modules)))
"""


@pytest.mark.parametrize(
    ("env", "loaded"),
    [
        ({"JWT_SECRET": STRONG}, []),
        ({"JWKS_URL": "http://127.0.0.1:9/jwks.json"}, []),
        (
            {
                "JWT_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                "AWS_MAX_ATTEMPTS": "1",
            },
            ["boto3", "botocore.client"],
        ),
    ],
    ids=["JWT_SECRET", "JWKS_URL", "JWT_SECRET_ARN"],
)
def test_boto3_is_imported_only_for_an_aws_key_source(
    env: dict[str, str], loaded: list[str]
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JWT", "JWKS", "AWS_"))}
    clean.update(
        {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "eu-west-1"}
    )
    result = subprocess.run(
        [sys.executable, "-c", COLD_START, hs256(secret=STRONG)],
        env={**clean, **env, "POWERTOOLS_LOG_LEVEL": "ERROR"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout.splitlines()[-1]) == loaded


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_rotated_secret_is_picked_up_once_the_fetched_one_is_old(aws: None) -> None:
    arn = create_secret(STRONG)
    clock = Clock()
    failures: list[str] = []
    source = FetchedSecret(lambda: fetch_secret(arn), False, failures.append, clock)
    token = tokens.parse(hs256(secret=STRONG), frozenset({"HS256"}))
    assert source.key_for(token) == STRONG.encode()
    rotated = STRONG[::-1]
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=rotated)
    clock.now += SECRET_MAX_AGE_S - 1
    assert source.key_for(token) == STRONG.encode()  # fetched once, kept
    clock.now += 1
    assert source.key_for(token) == rotated.encode()
    boto3.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    clock.now += SECRET_MAX_AGE_S
    assert source.key_for(token) == rotated.encode()  # a failed refresh keeps the secret
    assert failures == ["ResourceNotFoundException ResourceNotFoundException"]

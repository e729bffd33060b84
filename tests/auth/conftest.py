"""Build authorizers from an environment mapping, and TOKEN events, for direct calls."""

from __future__ import annotations

import io
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from aws_lambda_powertools import Logger
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from books_api.auth.authorizer import Authorizer
from books_api.settings import AuthSettings

SECRET = "s3cret-for-tests-0123456789-abcdefghijklmnop"  # 44 bytes
STAGE_ARN = "arn:aws:execute-api:eu-west-1:111122223333:abc123/prod"
_services = itertools.count()


def method_arn(method: str = "GET", path: str = "books") -> str:
    return f"{STAGE_ARN}/{method}/{path}"


def token_event(token: Any, method: str = "GET", path: str = "books") -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn(method, path)}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "alice", "Role": "api_user", "iat": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload: dict[str, Any] | None = None, secret: str = SECRET, **headers: Any) -> str:
    return jwt.encode(payload or claims(), secret, algorithm="HS256", headers=headers or None)


class LoggedAuthorizer:
    """An Authorizer whose log lines are kept in memory, one JSON object per line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.stream = io.StringIO()
        logger = Logger(service=f"authorizer-test-{next(_services)}", stream=self.stream)
        self.authorizer = Authorizer(AuthSettings.from_env(env), logger)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.authorizer.handle(event, None)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def log_text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def make_authorizer() -> Callable[..., LoggedAuthorizer]:
    def build(**env: str) -> LoggedAuthorizer:
        return LoggedAuthorizer({"JWT_SECRET": SECRET, **env})

    return build


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())

"""Fetch the JWT secret from Secrets Manager or SSM Parameter Store.

boto3 is imported here, inside the functions, so that a function configured with
`JWT_SECRET` or `JWKS_URL` never loads it.
"""

from __future__ import annotations

from typing import Any

AWS_TIMEOUT_S = 1  # two attempts stay within the authorizer's 5 s timeout


def _client(service: str, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=AWS_TIMEOUT_S,
        read_timeout=AWS_TIMEOUT_S,
        retries={"mode": "standard", "max_attempts": 2},
    )
    return boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]


def fetch_secret(secret_id: str, region: str | None = None) -> str | bytes:
    """The SecretString (or SecretBinary) of the current version of `secret_id`."""
    response = _client("secretsmanager", region).get_secret_value(SecretId=secret_id)
    if "SecretString" in response:
        value: str = response["SecretString"]
        return value
    binary: bytes = response["SecretBinary"]
    return binary


def fetch_parameter(name: str, region: str | None = None) -> str:
    """The decrypted value of an SSM parameter (a SecureString, or a String)."""
    response = _client("ssm", region).get_parameter(Name=name, WithDecryption=True)
    value: str = response["Parameter"]["Value"]
    return value

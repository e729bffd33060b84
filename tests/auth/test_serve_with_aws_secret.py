"""`books-api serve` with JWT_SECRET_ARN in the shell, against moto_server on loopback: the
Secrets Manager set-up of the README, end to end over HTTP."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import boto3
import httpx

from tests.auth.test_cli_keys import CLI, cli_env
from tests.support.dynamodb import FAKE_CREDENTIALS, REGION, moto_server
from tests.support.server import free_port

SECRET = "a-secret-kept-in-secrets-manager-0123456789abcdef"


def test_gateway_verifies_tokens_with_the_secret_from_secrets_manager(tmp_path: Path) -> None:
    home = tmp_path
    with moto_server() as endpoint:
        aws = {**FAKE_CREDENTIALS, "AWS_REGION": REGION, "AWS_ENDPOINT_URL": endpoint}
        client = boto3.client(
            "secretsmanager", region_name=REGION, endpoint_url=endpoint, **_credentials()
        )
        arn = client.create_secret(
            Name="books-api/jwt", SecretString=json.dumps({"secret": SECRET})
        )["ARN"]
        port = free_port()
        server = subprocess.Popen(
            [*CLI, "serve", "--port", str(port)],
            env=cli_env(home, JWT_SECRET_ARN=arn, **aws),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/prod/books"
            _wait_for(url, server)
            signed = _token(home, JWT_SECRET=SECRET)
            assert httpx.get(url, headers={"authorizationToken": signed}).status_code == 200
            local = _token(home)  # signed with the local secret, not the one in AWS
            assert httpx.get(url, headers={"authorizationToken": local}).status_code == 401
        finally:
            server.terminate()
            server.wait(timeout=10)


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def _token(home: Path, **env: str) -> str:
    return subprocess.run(
        [*CLI, "token", "--ttl", "120"],
        env=cli_env(home, **env),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url)
            return
        except httpx.TransportError:
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)

"""`books-api keys generate`, `books-api token --alg/--key/...` and `serve --jwks`, as a user
runs them: real processes and a real socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support.server import free_port

CLI = [sys.executable, "-m", "books_api.cli"]


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JWT", "JWKS", "ROLE_", "REQUIRED_CLAIMS", "ALLOW_WEAK"))
    }
    return {**keep, "BOOKS_API_HOME": str(home), **extra}


def books_api(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=cli_env(home), capture_output=True, text=True, check=check, timeout=60
    )


def jwks_key(jwks_file: Path) -> jwt.PyJWK:
    (key,) = json.loads(jwks_file.read_text())["keys"]
    return jwt.PyJWK(key)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256"])
def test_generated_key_signs_tokens_that_its_jwks_verifies(tmp_path: Path, alg: str) -> None:
    out = tmp_path / "keys"
    books_api(tmp_path, "keys", "generate", "--alg", alg, "--out", str(out))
    assert (out / "private-key.pem").stat().st_mode & 0o777 == 0o600
    public = jwks_key(out / "jwks.json")
    assert "d" not in json.loads((out / "jwks.json").read_text())["keys"][0]
    token = books_api(
        tmp_path,
        "token",
        *("--alg", alg, "--key", str(out / "private-key.pem"), "--role", "reader"),
        *("--iss", "https://issuer.example", "--aud", "books-api"),
        *("--claim", "Name=Chinmay", "--claim", 'cognito:groups=["readers"]', "--ttl", "120"),
    ).stdout.strip()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == alg and header["kid"] == public.key_id
    claims = jwt.decode(
        token, public, algorithms=[alg], audience="books-api", issuer="https://issuer.example"
    )
    assert claims["Role"] == "reader" and claims["Name"] == "Chinmay"
    assert claims["cognito:groups"] == ["readers"]
    assert 115 <= claims["exp"] - time.time() <= 121


def test_generate_refuses_to_replace_a_key_without_force(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    books_api(tmp_path, "keys", "generate", "--out", str(out))
    again = books_api(tmp_path, "keys", "generate", "--out", str(out), check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    books_api(tmp_path, "keys", "generate", "--out", str(out), "--force")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--alg", "RS256"], "needs --key"),
        (["--alg", "HS256", "--key", "x.pem"], "--key is for"),
        (["--claim", "novalue"], "expected NAME=VALUE"),
        (["--claim", "groups=[broken"], "not valid JSON"),
        (["--alg", "ES256", "--key", "/nonexistent.pem"], "not a readable"),
    ],
)
def test_token_options_misused_give_a_clear_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = books_api(tmp_path, "token", *args, check=False)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_token_refuses_a_key_of_the_wrong_type(tmp_path: Path) -> None:
    books_api(tmp_path, "keys", "generate", "--alg", "ES256", "--out", str(tmp_path / "ec"))
    key = str(tmp_path / "ec" / "private-key.pem")
    result = books_api(tmp_path, "token", "--alg", "RS256", "--key", key, check=False)
    assert result.returncode == 2 and "not a key for RS256" in result.stderr


@pytest.fixture
def jwks_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    keys = tmp_path / "keys"
    books_api(tmp_path, "keys", "generate", "--alg", "ES256", "--out", str(keys))
    port = free_port()
    env = cli_env(tmp_path, JWKS_MIN_REFRESH_SECONDS="0")  # as serve sets it
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--jwks", str(keys / "jwks.json")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                httpx.get(base + "/.well-known/jwks.json")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        yield base, keys
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_with_jwks_verifies_with_it_and_serves_it(
    tmp_path: Path, jwks_server: tuple[str, Path]
) -> None:
    base, keys = jwks_server
    served = httpx.get(base + "/.well-known/jwks.json")
    assert served.status_code == 200
    assert served.json() == json.loads((keys / "jwks.json").read_text())
    key = str(keys / "private-key.pem")
    token = books_api(tmp_path, "token", "--alg", "ES256", "--key", key).stdout.strip()
    assert httpx.get(base + "/prod/books", headers={"authorizationToken": token}).status_code == 200
    local = books_api(tmp_path, "token").stdout.strip()  # HS256 with the local secret
    assert httpx.get(base + "/prod/books", headers={"authorizationToken": local}).status_code == 401
    # rotation: a new key is published in the served file; its tokens work, no restart
    new = tmp_path / "new"
    publish = ("--publish-to", str(keys / "jwks.json"))
    books_api(tmp_path, "keys", "generate", "--alg", "PS256", "--out", str(new), *publish)
    assert len(json.loads((keys / "jwks.json").read_text())["keys"]) == 2
    new_key = str(new / "private-key.pem")
    rotated = books_api(tmp_path, "token", "--alg", "PS256", "--key", new_key).stdout.strip()
    assert (
        httpx.get(base + "/prod/books", headers={"authorizationToken": rotated}).status_code == 200
    )
    assert httpx.get(base + "/prod/books", headers={"authorizationToken": token}).status_code == 200


def test_serve_refuses_a_file_that_is_not_a_jwks(tmp_path: Path) -> None:
    bogus = tmp_path / "jwks.json"
    bogus.write_text('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}')
    result = books_api(
        tmp_path, "serve", "--port", str(free_port()), "--jwks", str(bogus), check=False
    )
    assert result.returncode == 2 and "no RSA or EC signing key" in result.stderr


def test_serve_takes_authorizer_variables_from_the_shell(tmp_path: Path) -> None:
    permissions = json.dumps({"api_user": ["*"], "reader": ["GET /books", "GET /book"]})
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=cli_env(tmp_path, ROLE_PERMISSIONS=permissions, JWT_ISSUER="https://issuer.example"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/prod"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/books")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        reader = books_api(
            tmp_path, "token", "--role", "reader", "--iss", "https://issuer.example"
        ).stdout.strip()
        headers = {"authorizationToken": reader}
        assert httpx.get(url + "/books", headers=headers).status_code == 200
        assert httpx.request("DELETE", url + "/book", headers=headers).status_code == 403
        no_issuer = books_api(tmp_path, "token", "--role", "reader").stdout.strip()
        assert (
            httpx.get(url + "/books", headers={"authorizationToken": no_issuer}).status_code == 401
        )
    finally:
        server.terminate()
        server.wait(timeout=10)

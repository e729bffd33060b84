"""Cognito user pool authorizers as API Gateway runs them, with tokens from `books-api token`.

The pool's JWKS and private key come from `books-api keys generate` (the `authz` fixture).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from books_api.cli.signing import load_private_key, public_jwk, sign
from tests.auth.jwks_site import jwks_site
from tests.local.conftest import (
    AUTHORIZERS_API,
    AUTHORIZERS_FUNCTIONS,
    CLI,
    AuthorizersGateway,
    running_test_gateway,
)

POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Local0001"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Local0001"
UNAUTHORIZED = {"message": "Unauthorized"}


def cli_token(keys: Path, *options: str) -> str:
    result = subprocess.run(
        [*CLI, "token", "--alg", "RS256", "--key", str(keys / "private-key.pem"), *options],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def signed(keys: Path, **claims: Any) -> str:
    """A token with exactly these claims, signed by the pool's key."""
    key = load_private_key(keys / "private-key.pem", "RS256")
    return sign(claims, "RS256", key, public_jwk(key, "RS256")["kid"])


def id_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "u-1", "aud": "client-1", "token_use": "id", "iss": ISSUER,
              "auth_time": now, "iat": now, "exp": now + 600}  # fmt: skip
    return {**claims, **changes}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"


@pytest.fixture(scope="module")
def id_token(authz: AuthorizersGateway) -> str:
    return cli_token(authz.keys, "--user-pool", POOL_ARN, "--token-use", "id",
                     "--client-id", "client-1", "--claim", "email_verified=true",
                     "--claim", 'cognito:groups=["admins","readers"]')  # fmt: skip


def access_token(authz: AuthorizersGateway, *scopes: str) -> str:
    options = [option for scope in scopes for option in ("--scope", scope)]
    return cli_token(authz.keys, "--user-pool", POOL_ARN, "--token-use", "access", *options)


def test_id_token_reaches_the_function_with_its_claims_as_strings(
    authz: AuthorizersGateway, client: httpx.Client, id_token: str
) -> None:
    response = client.get(f"{authz.url}/pool/profile", headers={"Authorization": id_token})
    assert response.status_code == 200, response.text
    claims = response.json()["event"]["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["iss"] == ISSUER and claims["token_use"] == "id"
    assert claims["aud"] == "client-1"
    assert claims["cognito:groups"] == "admins,readers"
    # API Gateway writes exp and iat as dates: "Tue Apr 04 18:39:39 UTC 2023".
    assert time.strptime(claims["exp"], "%a %b %d %H:%M:%S UTC %Y")
    assert claims["iat"].endswith(time.strftime(" UTC %Y", time.gmtime()))


def test_bearer_prefix_is_accepted(
    authz: AuthorizersGateway, client: httpx.Client, id_token: str
) -> None:
    headers = {"Authorization": f"Bearer {id_token}"}
    assert client.get(f"{authz.url}/pool/profile", headers=headers).status_code == 200


def test_missing_token_is_401(authz: AuthorizersGateway, client: httpx.Client) -> None:
    assert_unauthorized(client.get(f"{authz.url}/pool/profile"))


def test_access_token_with_one_of_the_method_scopes_is_allowed(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    token = access_token(authz, "books/read")
    response = client.get(f"{authz.url}/pool/books", headers={"Authorization": token})
    assert response.status_code == 200, response.text
    claims = response.json()["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["scope"] == "books/read" and claims["token_use"] == "access"
    other = access_token(authz, "profile", "books/admin")  # any one method scope suffices
    assert (
        client.get(f"{authz.url}/pool/books", headers={"Authorization": other}).status_code == 200
    )


def test_access_token_without_the_scope_is_401(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    token = access_token(authz, "books/write", "profile")
    assert_unauthorized(client.get(f"{authz.url}/pool/books", headers={"Authorization": token}))


def test_method_with_scopes_refuses_an_id_token(
    authz: AuthorizersGateway, client: httpx.Client, id_token: str
) -> None:
    assert_unauthorized(client.get(f"{authz.url}/pool/books", headers={"Authorization": id_token}))


def test_method_without_scopes_takes_the_token_as_an_id_token(
    authz: AuthorizersGateway, client: httpx.Client
) -> None:
    token = access_token(authz, "books/read")
    assert_unauthorized(client.get(f"{authz.url}/pool/profile", headers={"Authorization": token}))


@pytest.mark.parametrize(
    "claims",
    [
        id_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
        id_claims(exp=int(time.time()) - 5),
        id_claims(token_use="refresh"),
        {key: value for key, value in id_claims().items() if key != "token_use"},
    ],
    ids=["other-issuer", "expired", "bad-token-use", "no-token-use"],
)
def test_token_cognito_would_refuse_is_401(
    authz: AuthorizersGateway, client: httpx.Client, claims: dict[str, Any]
) -> None:
    token = signed(authz.keys, **claims)
    assert_unauthorized(client.get(f"{authz.url}/pool/profile", headers={"Authorization": token}))


def test_token_signed_by_a_key_outside_the_pool_is_401(
    authz: AuthorizersGateway, client: httpx.Client, tmp_path: Path
) -> None:
    subprocess.run([*CLI, "keys", "generate", "--out", str(tmp_path)], check=True,
                   capture_output=True)  # fmt: skip
    foreign = signed(tmp_path, **id_claims())
    assert_unauthorized(client.get(f"{authz.url}/pool/profile", headers={"Authorization": foreign}))
    # The pool's own key signs the same claims into a token that passes.
    own = signed(authz.keys, **id_claims())
    assert (
        client.get(f"{authz.url}/pool/profile", headers={"Authorization": own}).status_code == 200
    )


def test_hs256_token_is_401(authz: AuthorizersGateway, client: httpx.Client) -> None:
    token = sign(id_claims(), "HS256", "x" * 48)
    assert_unauthorized(client.get(f"{authz.url}/pool/profile", headers={"Authorization": token}))


def test_token_command_refuses_a_scope_on_an_id_token(authz: AuthorizersGateway) -> None:
    result = subprocess.run(
        [*CLI, "token", "--alg", "RS256", "--key", str(authz.keys / "private-key.pem"),
         "--token-use", "id", "--scope", "books/read"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--scope is for access tokens" in result.stderr
    assert result.stderr.count("\n") == 1  # one line, no traceback


def test_pool_keys_from_a_jwks_url(
    authz: AuthorizersGateway, client: httpx.Client, tmp_path: Path
) -> None:
    jwks = json.loads((authz.keys / "jwks.json").read_text())
    with jwks_site() as site:
        functions = tmp_path / "functions.yaml"
        text = AUTHORIZERS_FUNCTIONS.read_text("utf-8")
        functions.write_text(text.replace("jwks: jwks.json", f"jwks_url: {site.url}"))
        site.publish(*jwks["keys"])
        with running_test_gateway(api=AUTHORIZERS_API, functions=functions) as running:
            url = f"{running.url}/pool/profile"
            for jti in ("one", "two"):
                token = signed(authz.keys, **id_claims(jti=jti))
                assert client.get(url, headers={"Authorization": token}).status_code == 200
            assert site.requests == 1  # the keys are kept, not fetched per token
            subprocess.run([*CLI, "keys", "generate", "--out", str(tmp_path / "foreign")],
                           check=True, capture_output=True)  # fmt: skip
            foreign = signed(tmp_path / "foreign", **id_claims())
            assert_unauthorized(client.get(url, headers={"Authorization": foreign}))

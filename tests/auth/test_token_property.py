"""Properties: only the unmodified valid token is allowed; nothing but Unauthorized escapes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from books_api.auth.authorizer import Authorizer, Unauthorized
from books_api.settings import AuthSettings
from tests.auth.conftest import SECRET, hs256, token_event
from tests.auth.jwks_site import jwks_site, public_jwk
from tests.auth.signing import hmac_sign

AUTHORIZER = Authorizer(
    AuthSettings.from_env({"JWT_SECRET": SECRET, "POWERTOOLS_LOG_LEVEL": "ERROR"})
)
VALID = hs256({"sub": "alice", "Role": "api_user", "exp": int(time.time()) + 86_400})
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(token: Any) -> str:
    """`allow`, `deny` or `401`; any other exception fails the property."""
    try:
        policy = AUTHORIZER.handle(token_event(token), None)
    except Unauthorized:
        return "401"
    return "allow" if policy["policyDocument"]["Statement"][0]["Effect"] == "Allow" else "deny"


@st.composite
def mutated(draw: st.DrawFn, valid: str = VALID) -> str:
    token = valid
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(token)))
        kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "swap"]))
        char = draw(st.characters() | st.sampled_from(list("._-=+/ AQgw0")))
        if kind == "replace" and position < len(token):
            token = token[:position] + char + token[position + 1 :]
        elif kind == "insert":
            token = token[:position] + char + token[position:]
        elif kind == "delete":
            token = token[:position] + token[position + 1 :]
        elif kind == "truncate":
            token = token[:position]
        else:
            parts = token.split(".")
            i, j = draw(st.integers(0, len(parts) - 1)), draw(st.integers(0, len(parts) - 1))
            parts[i], parts[j] = parts[j], parts[i]
            token = ".".join(parts)
    return token


def test_the_valid_token_is_allowed() -> None:
    assert outcome(VALID) == "allow"


@FAST
@given(st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_-]{0,60}(\.[A-Za-z0-9_-]{0,60}){0,4}"))
@example("Bearer ")
@example("..")
def test_arbitrary_strings_are_unauthorized(token: str) -> None:
    assert outcome(token) == "401"


@FAST
@given(mutated())
@example(VALID + " ")
@example(" " + VALID)
@example(VALID[:-1] + chr(ord(VALID[-1]) ^ 1))
def test_every_mutation_of_a_valid_token_is_refused(token: str) -> None:
    assert outcome(token) == ("allow" if token == VALID else "401")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "sub": JSON | st.just("alice"),
        "exp": JSON | st.just(int(time.time()) + 600),
        "nbf": JSON,
        "iat": JSON,
        "Role": JSON | st.just("api_user"),
        "scope": JSON,
        "scp": JSON,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.dictionaries(st.text(max_size=8), JSON, max_size=4).map(
        lambda h: {**h, "alg": "HS256"}
    ),
    claims=CLAIMS,
)
def test_signed_arbitrary_json_never_raises_anything_but_unauthorized(
    header: dict[str, Any], claims: dict[str, Any]
) -> None:
    try:
        token = hmac_sign(header, claims, SECRET.encode())
    except ValueError:  # json cannot encode it (e.g. a NaN key): not a token
        return
    result = outcome(token)
    if result != "401":
        policy = AUTHORIZER.decide(token_event(token))
        assert all(isinstance(v, str) for v in policy["context"].values())
        assert isinstance(claims.get("sub", ""), str)


@pytest.mark.parametrize("payload", ["null", "1", '"text"', "[]", "{}", '{"sub": "a"}'])
def test_signed_payloads_that_are_not_valid_claims_are_unauthorized(payload: str) -> None:
    assert outcome(hmac_sign({"alg": "HS256"}, payload.encode(), SECRET.encode())) == "401"


@pytest.fixture(scope="module")
def jwks_tokens(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> Iterator[tuple[Authorizer, dict[str, str]]]:
    """An authorizer verifying with a JWKS on loopback, and a valid token per algorithm."""
    with jwks_site() as site:
        site.publish(public_jwk(rsa_key, "rsa"), public_jwk(ec_key, "ec"))
        env = {"JWKS_URL": site.url, "POWERTOOLS_LOG_LEVEL": "ERROR"}
        authorizer = Authorizer(AuthSettings.from_env(env))
        payload = {"sub": "alice", "Role": "api_user", "exp": int(time.time()) + 86_400}
        valid = {
            "RS256": jwt.encode(payload, rsa_key, algorithm="RS256", headers={"kid": "rsa"}),
            "ES256": jwt.encode(payload, ec_key, algorithm="ES256", headers={"kid": "ec"}),
        }
        for token in valid.values():
            authorizer.decide(token_event(token))  # the keys are now cached
        yield authorizer, valid


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), alg=st.sampled_from(["RS256", "ES256"]))
def test_every_mutation_of_a_valid_jwks_token_is_refused(
    jwks_tokens: tuple[Authorizer, dict[str, str]], data: st.DataObject, alg: str
) -> None:
    authorizer, valid = jwks_tokens
    token = data.draw(mutated(valid[alg]))
    try:
        authorizer.handle(token_event(token), None)
        allowed = True
    except Unauthorized:
        allowed = False
    assert allowed == (token == valid[alg])

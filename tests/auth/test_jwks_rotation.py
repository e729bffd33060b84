"""JWKS_URL against a real HTTP server on loopback: rotation, refetch limits, failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.warnings import InsecureKeyLengthWarning

from books_api.auth import tokens
from books_api.auth.authorizer import Unauthorized
from books_api.auth.jwks import MAX_AGE_S, JwksKeys
from books_api.auth.tokens import TokenRejected
from tests.auth.conftest import LoggedAuthorizer, claims, token_event
from tests.auth.jwks_site import JwksSite, jwks_site, public_jwk

REFRESH_S = 1.0  # long enough that a loaded machine does not refetch early


@pytest.fixture
def site() -> Iterator[JwksSite]:
    with jwks_site() as running:
        yield running


@pytest.fixture(scope="module")
def second_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def authorizer_for(site: JwksSite, **env: str) -> LoggedAuthorizer:
    return LoggedAuthorizer(
        {"JWKS_URL": site.url, "JWKS_MIN_REFRESH_SECONDS": str(REFRESH_S), **env}
    )


def signed(key: Any, kid: str | None, alg: str = "RS256", **overrides: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**overrides), key, algorithm=alg, headers=headers)


def outcome(authorizer: LoggedAuthorizer, token: str) -> str:
    try:
        authorizer(token_event(token))
    except Unauthorized:
        return authorizer.lines()[-1]["reason"]
    return "allow"


def test_rotated_key_is_picked_up_after_the_refresh_interval(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey, second_rsa_key: rsa.RSAPrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "2024"))
    authorizer = authorizer_for(site)
    assert outcome(authorizer, signed(rsa_key, "2024")) == "allow"
    site.publish(public_jwk(second_rsa_key, "2025"))
    assert outcome(authorizer, signed(second_rsa_key, "2025")) == "unknown kid"
    assert site.requests == 1  # no refetch within the interval
    time.sleep(REFRESH_S + 0.05)
    assert outcome(authorizer, signed(second_rsa_key, "2025")) == "allow"
    assert site.requests == 2
    # the retired key left the JWKS, so its tokens stop working
    assert outcome(authorizer, signed(rsa_key, "2024")) == "unknown kid"


def test_unknown_kids_trigger_at_most_one_fetch_per_interval(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "k1"))
    authorizer = authorizer_for(site, JWKS_MIN_REFRESH_SECONDS="60")
    assert outcome(authorizer, signed(rsa_key, "k1")) == "allow"
    for attempt in range(25):
        assert outcome(authorizer, signed(rsa_key, f"random-{attempt}")) == "unknown kid"
    assert site.requests == 1
    assert outcome(authorizer, signed(rsa_key, "k1")) == "allow"


def test_failed_fetch_keeps_cached_keys_and_refuses_only_missing_ones(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey, second_rsa_key: rsa.RSAPrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "old"))
    authorizer = authorizer_for(site)
    assert outcome(authorizer, signed(rsa_key, "old")) == "allow"
    for status, body in ((500, b"oops"), (200, b"<html>not json"), (200, b'{"keys": 3}')):
        site.status, site.body = status, body
        time.sleep(REFRESH_S + 0.05)
        assert outcome(authorizer, signed(second_rsa_key, "new")) == "unknown kid"
        assert outcome(authorizer, signed(rsa_key, "old")) == "allow"
    warnings = [line for line in authorizer.lines() if line["level"] == "WARNING"]
    assert [line["reason"] for line in warnings] == [
        "JWKS fetch failed: HTTPError",
        "JWKS fetch failed: JSONDecodeError",
        "JWKS fetch failed: ValueError",
    ]


def test_slow_jwks_times_out_after_two_seconds_with_401(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "k1"))
    site.delay_s = 4.0
    authorizer = authorizer_for(site)
    started = time.monotonic()
    assert outcome(authorizer, signed(rsa_key, "k1")) == "unknown kid"
    assert 1.9 <= time.monotonic() - started < 3.9
    assert (
        "TimeoutError" in authorizer.lines()[-2]["reason"]
        or "URLError" in (authorizer.lines()[-2]["reason"])
    )


def test_unreachable_jwks_answers_401() -> None:
    authorizer = LoggedAuthorizer({"JWKS_URL": "http://127.0.0.1:9/jwks.json"})
    with pytest.raises(Unauthorized):
        authorizer(token_event(signed(rsa.generate_private_key(65537, 2048), "k")))


def test_es256_is_accepted_by_default_and_ps256_only_when_allowed(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    site.publish(public_jwk(ec_key, "ec"), public_jwk(rsa_key, "rsa"))
    default = authorizer_for(site)
    assert outcome(default, signed(ec_key, "ec", "ES256")) == "allow"
    assert outcome(default, signed(rsa_key, "rsa", "PS256")) == "algorithm not allowed"
    widened = authorizer_for(site, JWT_ALGORITHMS="PS256,RS256")
    assert outcome(widened, signed(rsa_key, "rsa", "PS256")) == "allow"


def test_jwk_alg_pins_the_algorithm(site: JwksSite, rsa_key: rsa.RSAPrivateKey) -> None:
    site.publish(public_jwk(rsa_key, "pinned", alg="PS256"))
    authorizer = authorizer_for(site, JWT_ALGORITHMS="PS256,RS256")
    assert outcome(authorizer, signed(rsa_key, "pinned", "RS256")) == (
        "key does not fit the algorithm"
    )
    assert outcome(authorizer, signed(rsa_key, "pinned", "PS256")) == "allow"


def test_short_rsa_keys_in_the_jwks_are_refused(site: JwksSite) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    site.publish(public_jwk(weak, "weak"))
    with pytest.warns(InsecureKeyLengthWarning):
        token = signed(weak, "weak")
    assert outcome(authorizer_for(site), token) == "RSA key shorter than 2048 bits"


def test_token_without_kid_needs_a_single_key_jwks(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "only"))
    assert outcome(authorizer_for(site), signed(rsa_key, None)) == "allow"
    site.publish(public_jwk(rsa_key, "one"), public_jwk(ec_key, "two"))
    assert outcome(authorizer_for(site), signed(rsa_key, None)) == "token has no kid"


def test_symmetric_and_encryption_keys_in_the_jwks_are_ignored(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey
) -> None:
    oct_key = {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}
    encryption = {**public_jwk(rsa_key, "enc"), "use": "enc"}
    site.publish(oct_key, encryption)
    authorizer = authorizer_for(site, JWT_ALGORITHMS="RS256")
    assert outcome(authorizer, signed(rsa_key, "enc")) == "unknown kid"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_are_refetched_when_old_so_a_removed_key_stops_working(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey, second_rsa_key: rsa.RSAPrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "old"), public_jwk(second_rsa_key, "new"))
    clock = Clock()
    keys = JwksKeys(site.url, 60.0, on_failure=lambda reason: None, clock=clock)
    old_token = tokens.parse(signed(rsa_key, "old"), frozenset({"RS256"}))
    keys.key_for(old_token)
    site.publish(public_jwk(second_rsa_key, "new"))  # the old key is revoked
    clock.now += MAX_AGE_S - 1
    keys.key_for(old_token)  # still cached, no fetch yet
    assert site.requests == 1
    clock.now += 1
    with pytest.raises(TokenRejected, match="unknown kid"):
        keys.key_for(old_token)
    assert site.requests == 2


def test_old_keys_keep_working_when_the_refetch_fails(
    site: JwksSite, rsa_key: rsa.RSAPrivateKey
) -> None:
    site.publish(public_jwk(rsa_key, "k"))
    clock = Clock()
    failures: list[str] = []
    keys = JwksKeys(site.url, 60.0, on_failure=failures.append, clock=clock)
    token = tokens.parse(signed(rsa_key, "k"), frozenset({"RS256"}))
    first = keys.key_for(token)
    site.status, site.body = 503, b"down"
    clock.now += MAX_AGE_S
    assert keys.key_for(token) is first
    assert failures == ["JWKS fetch failed: HTTPError"]

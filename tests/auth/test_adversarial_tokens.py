"""A table of attacks, each against the authorizer handler called as Lambda calls it.

Every case names its attack and the only acceptable outcome: `allow` (the control cases),
`deny` (a valid token whose role may call nothing: an explicit Deny, 403) or `401` (the
handler raises Unauthorized, and nothing else).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.utils import der_to_raw_signature

from books_api.auth.authorizer import Unauthorized
from tests.auth.conftest import SECRET, LoggedAuthorizer, claims, hs256, token_event
from tests.auth.jwks_site import JwksSite, jwks_site, public_jwk
from tests.auth.signing import b64, hmac_sign


@dataclass
class Keys:
    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    ec384: ec.EllipticCurvePrivateKey
    attacker: rsa.RSAPrivateKey
    site: JwksSite

    def public_pem(self) -> bytes:
        return self.rsa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@pytest.fixture(scope="module")
def keys(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> Iterator[Keys]:
    with jwks_site() as site:
        ec384 = ec.generate_private_key(ec.SECP384R1())
        site.publish(
            public_jwk(rsa_key, "rsa-1"), public_jwk(ec_key, "ec-1"), public_jwk(ec384, "ec-384")
        )
        attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        yield Keys(rsa_key, ec_key, ec384, attacker, site)


def segments(token: str) -> list[str]:
    return token.split(".")


def with_header(token: str, header: dict[str, Any]) -> str:
    _, payload, signature = segments(token)
    return f"{b64(header)}.{payload}.{signature}"


def with_payload(token: str, payload: dict[str, Any]) -> str:
    header, _, signature = segments(token)
    return f"{header}.{b64(payload)}.{signature}"


def unsigned(alg: str, payload: dict[str, Any] | None = None) -> str:
    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(payload or claims())}."


def rs256(k: Keys, payload: dict[str, Any] | None = None, **headers: Any) -> str:
    headers.setdefault("kid", "rsa-1")
    return jwt.encode(payload or claims(), k.rsa, algorithm="RS256", headers=headers)


def non_canonical(token: str) -> str:
    """The same signature bytes with different unused low bits in the last character."""
    header, payload, signature = segments(token)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    twin = alphabet[last ^ 1]  # a 43-character HS256 signature ignores the 2 lowest bits
    return f"{header}.{payload}.{signature[:-1]}{twin}"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def hmac_with_public_pem(k: Keys) -> str:
    """HS256 keyed with the RSA public key's PEM (PyJWT itself refuses to sign this)."""
    return hmac_sign({"alg": "HS256", "kid": "rsa-1"}, claims(), k.public_pem())


def ecdsa_sign(header: dict[str, Any], payload: Any, key: ec.EllipticCurvePrivateKey) -> str:
    """ECDSA over SHA-256 with any curve (PyJWT refuses a curve that does not fit the alg)."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    return f"{signing_input}.{b64(der_to_raw_signature(der, key.curve))}"


JWKS = "jwks"
KEY = SECRET.encode()
ISSUER_AUDIENCE = {"JWT_ISSUER": "https://issuer.example", "JWT_AUDIENCE": "books-api"}


@dataclass
class Case:
    attack: str
    make: Callable[[Keys], Any]
    expect: str  # "allow", "deny" or "401"
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    # controls: the genuine article
    Case("valid_hs256_token", lambda k: hs256(), "allow"),
    Case("valid_token_with_bearer_prefix", lambda k: "Bearer " + hs256(), "allow"),
    Case("valid_rs256_token_from_jwks", lambda k: rs256(k), "allow", {"source": JWKS}),
    # signatures
    Case("forged_signature_other_secret", lambda k: hs256(secret="x" * 40), "401"),
    Case("signature_stripped", lambda k: hs256().rsplit(".", 1)[0] + ".", "401"),
    Case(
        "role_escalated_in_payload_keeping_signature",
        lambda k: with_payload(hs256(claims(Role="reader")), claims(Role="api_user")),
        "401",
    ),
    Case(
        "signature_of_another_token",
        lambda k: ".".join(segments(hs256())[:2] + segments(hs256(claims(sub="bob")))[2:]),
        "401",
    ),
    Case("non_canonical_base64_signature", lambda k: non_canonical(hs256()), "401"),
    # alg none in every spelling
    Case("alg_none", lambda k: unsigned("none"), "401"),
    Case("alg_None", lambda k: unsigned("None"), "401"),
    Case("alg_NONE", lambda k: unsigned("NONE"), "401"),
    Case("alg_nOnE", lambda k: unsigned("nOnE"), "401"),
    Case("alg_none_without_trailing_dot", lambda k: unsigned("none")[:-1], "401"),
    Case(
        "alg_none_with_a_valid_signature_kept",
        lambda k: with_header(hs256(), {"alg": "none", "typ": "JWT"}),
        "401",
    ),
    Case("alg_missing", lambda k: with_header(hs256(), {"typ": "JWT"}), "401"),
    Case("alg_null", lambda k: with_header(hs256(), {"alg": None}), "401"),
    Case("alg_as_list", lambda k: with_header(hs256(), {"alg": ["HS256"]}), "401"),
    Case("alg_lowercase_hs256", lambda k: with_header(hs256(), {"alg": "hs256"}), "401"),
    Case(
        "alg_hs512_outside_the_allow_list",
        lambda k: hmac_sign({"alg": "HS512"}, claims(), KEY, "sha512"),
        "401",
    ),
    # algorithm confusion
    Case(
        "confusion_rs256_header_with_hmac_signature",
        lambda k: with_header(hs256(), {"alg": "RS256", "typ": "JWT"}),
        "401",
    ),
    Case("confusion_rs256_token_sent_to_secret_authorizer", lambda k: rs256(k), "401"),
    Case(
        "confusion_hs256_signed_with_the_public_key_pem",
        hmac_with_public_pem,
        "401",
        {"source": JWKS},
    ),
    Case(
        "confusion_es256_header_on_rsa_kid",
        lambda k: jwt.encode(claims(), k.ec, algorithm="ES256", headers={"kid": "rsa-1"}),
        "401",
        {"source": JWKS},
    ),
    Case(
        "confusion_es256_header_on_p384_key",
        lambda k: ecdsa_sign({"alg": "ES256", "kid": "ec-384"}, claims(), k.ec384),
        "401",
        {"source": JWKS},
    ),
    Case(
        "ecdsa_psychic_signature_all_zero",
        lambda k: ".".join(
            [
                *segments(jwt.encode(claims(), k.ec, algorithm="ES256", headers={"kid": "ec-1"}))[
                    :2
                ],
                b64(bytes(64)),
            ]
        ),
        "401",
        {"source": JWKS},
    ),
    # header tricks: kid, jku, jwk, x5u, crit
    Case(
        "kid_path_traversal_to_dev_null_with_empty_key",
        lambda k: hmac_sign({"alg": "HS256", "kid": "../../../../../../dev/null"}, claims(), b""),
        "401",
    ),
    Case(
        "kid_path_traversal_against_jwks",
        lambda k: jwt.encode(
            claims(), k.attacker, algorithm="RS256", headers={"kid": "../../etc/passwd"}
        ),
        "401",
        {"source": JWKS},
    ),
    Case(
        "kid_sql_injection",
        lambda k: jwt.encode(
            claims(), k.attacker, algorithm="RS256", headers={"kid": "x' OR '1'='1"}
        ),
        "401",
        {"source": JWKS},
    ),
    Case("kid_as_number", lambda k: hmac_sign({"alg": "HS256", "kid": 7}, claims(), KEY), "401"),
    Case(
        "jku_pointing_to_attacker_keys",
        lambda k: jwt.encode(
            claims(),
            k.attacker,
            algorithm="RS256",
            headers={"kid": "rsa-1", "jku": "https://attacker.example/jwks.json"},
        ),
        "401",
        {"source": JWKS},
    ),
    Case(
        "jwk_header_embedding_attacker_key",
        lambda k: jwt.encode(
            claims(),
            k.attacker,
            algorithm="RS256",
            headers={"kid": "rsa-1", "jwk": public_jwk(k.attacker, "rsa-1")},
        ),
        "401",
        {"source": JWKS},
    ),
    Case(
        "x5u_pointing_to_attacker_certificate",
        lambda k: jwt.encode(
            claims(),
            k.attacker,
            algorithm="RS256",
            headers={"kid": "evil", "x5u": "https://attacker.example/cert.pem"},
        ),
        "401",
        {"source": JWKS},
    ),
    Case(
        "jku_on_a_genuine_token_is_ignored",
        lambda k: rs256(k, jku="https://attacker.example/jwks.json"),
        "allow",
        {"source": JWKS},
    ),
    Case("crit_unknown_extension", lambda k: hs256(crit=["exp-ext"], **{"exp-ext": 1}), "401"),
    # time claims
    Case("expired", lambda k: hs256(claims(exp=int(time.time()) - 3600)), "401"),
    Case("expired_just_beyond_leeway", lambda k: hs256(claims(exp=int(time.time()) - 31)), "401"),
    Case("expired_within_leeway", lambda k: hs256(claims(exp=int(time.time()) - 10)), "allow"),
    Case("not_yet_valid", lambda k: hs256(claims(nbf=int(time.time()) + 600)), "401"),
    Case("issued_in_the_future", lambda k: hs256(claims(iat=int(time.time()) + 600)), "401"),
    Case("exp_missing", lambda k: hs256({"sub": "alice", "Role": "api_user"}), "401"),
    Case("exp_as_string", lambda k: hs256(claims(exp=str(int(time.time()) + 600))), "401"),
    Case("exp_as_boolean", lambda k: hs256(claims(exp=True)), "401"),
    Case("exp_as_nan", lambda k: hs256(claims(exp=float("nan"))), "401"),
    Case("exp_beyond_float_range", lambda k: hs256(claims(exp=10**400)), "allow"),
    Case("nbf_as_string", lambda k: hs256(claims(nbf="0")), "401"),
    # subject, issuer, audience, required claims
    Case("sub_as_list", lambda k: hs256(claims(sub=["alice"])), "401"),
    Case("sub_as_number", lambda k: hs256(claims(sub=42)), "401"),
    Case("sub_blank", lambda k: hs256(claims(sub="  ")), "401"),
    Case(
        "wrong_issuer",
        lambda k: hs256(claims(iss="https://evil.example", aud="books-api")),
        "401",
        ISSUER_AUDIENCE,
    ),
    Case("issuer_missing", lambda k: hs256(claims(aud="books-api")), "401", ISSUER_AUDIENCE),
    Case(
        "issuer_as_list",
        lambda k: hmac_sign(
            {"alg": "HS256"}, claims(iss=["https://issuer.example"], aud="books-api"), KEY
        ),
        "401",
        ISSUER_AUDIENCE,
    ),
    Case(
        "wrong_audience",
        lambda k: hs256(claims(iss="https://issuer.example", aud="other-api")),
        "401",
        ISSUER_AUDIENCE,
    ),
    Case(
        "audience_missing",
        lambda k: hs256(claims(iss="https://issuer.example")),
        "401",
        ISSUER_AUDIENCE,
    ),
    Case(
        "audience_as_object",
        lambda k: hs256(claims(iss="https://issuer.example", aud={"books-api": True})),
        "401",
        ISSUER_AUDIENCE,
    ),
    Case(
        "issuer_and_audience_list_match",
        lambda k: hs256(claims(iss="https://issuer.example", aud=["x", "books-api"])),
        "allow",
        ISSUER_AUDIENCE,
    ),
    Case("required_claim_missing", lambda k: hs256(), "401", {"REQUIRED_CLAIMS": "Name=Chinmay"}),
    Case(
        "required_claim_wrong_value",
        lambda k: hs256(claims(Name="Mallory")),
        "401",
        {"REQUIRED_CLAIMS": "Name=Chinmay"},
    ),
    Case(
        "required_claim_as_list",
        lambda k: hs256(claims(Name=["Chinmay"])),
        "401",
        {"REQUIRED_CLAIMS": "Name=Chinmay"},
    ),
    # roles
    Case("role_missing", lambda k: hs256(claims(Role=None)), "deny"),
    Case("role_not_permitted", lambda k: hs256(claims(Role="reader")), "deny"),
    Case("role_with_leading_whitespace", lambda k: hs256(claims(Role=" api_user")), "deny"),
    Case("role_with_trailing_newline", lambda k: hs256(claims(Role="api_user\n")), "deny"),
    Case("role_in_other_case", lambda k: hs256(claims(Role="API_USER")), "deny"),
    Case("role_as_list_of_strings", lambda k: hs256(claims(Role=["reader", "api_user"])), "allow"),
    Case("role_as_nested_list", lambda k: hs256(claims(Role=[["api_user"]])), "deny"),
    Case("role_as_object", lambda k: hs256(claims(Role={"api_user": True})), "deny"),
    Case("role_as_wildcard", lambda k: hs256(claims(Role="*")), "deny"),
    # framing and encoding
    Case("empty_token", lambda k: "", "401"),
    Case("bearer_without_token", lambda k: "Bearer ", "401"),
    Case("bearer_twice", lambda k: "Bearer Bearer " + hs256(), "401"),
    Case("token_not_a_string", lambda k: 12345, "401"),
    Case("one_segment", lambda k: segments(hs256())[0], "401"),
    Case("two_segments", lambda k: ".".join(segments(hs256())[:2]), "401"),
    Case("four_segments", lambda k: hs256() + "." + segments(hs256())[2], "401"),
    Case("whitespace_inside_token", lambda k: hs256().replace(".", ". ", 1), "401"),
    Case("nul_byte_in_token", lambda k: hs256() + "\x00", "401"),
    Case("broken_base64_header", lambda k: "!!!." + ".".join(segments(hs256())[1:]), "401"),
    Case("base64_with_padding", lambda k: hs256().replace(".", "==.", 1), "401"),
    Case("header_not_json", lambda k: b64("{alg: HS256") + ".e30.c2ln", "401"),
    Case("header_is_a_json_list", lambda k: with_header(hs256(), ["HS256"]), "401"),  # type: ignore[arg-type]
    Case("payload_not_json", lambda k: hmac_sign({"alg": "HS256"}, None, KEY), "401"),
    Case("payload_is_a_json_list", lambda k: hmac_sign({"alg": "HS256"}, [1], KEY), "401"),
    Case(
        "payload_not_utf8",
        lambda k: hmac_sign({"alg": "HS256"}, b"\xff\xfe{", KEY),
        "401",
    ),
    Case(
        "payload_deeply_nested_json",
        lambda k: hmac_sign({"alg": "HS256"}, nested(3000).encode(), KEY),
        "401",
    ),
    Case("oversized_token", lambda k: hs256(claims(pad="x" * 9000)), "401"),
]


def authorizer_for(case: Case, keys: Keys) -> LoggedAuthorizer:
    env = dict(case.env)
    if env.pop("source", None) == JWKS:
        env.update({"JWT_SECRET": "", "JWKS_URL": keys.site.url})
    return LoggedAuthorizer({"JWT_SECRET": SECRET, **env})


def test_the_table_has_at_least_forty_attacks() -> None:
    attacks = [case for case in CASES if case.expect != "allow"]
    assert len(attacks) >= 40
    assert len({case.attack for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.attack for case in CASES])
def test_token_gets_exactly_its_outcome(case: Case, keys: Keys) -> None:
    authorizer = authorizer_for(case, keys)
    token = case.make(keys)
    if case.expect == "401":
        with pytest.raises(Unauthorized) as raised:
            authorizer(token_event(token))
        assert str(raised.value) == "Unauthorized"
        assert type(raised.value) is Unauthorized
        decision = authorizer.lines()[-1]
        assert decision["decision"] == "unauthorized"
        assert "internal error" not in decision["reason"]
    else:
        policy = authorizer(token_event(token))
        statement = policy["policyDocument"]["Statement"][0]
        assert statement["Effect"] == ("Allow" if case.expect == "allow" else "Deny")
        assert policy["principalId"] == "alice"
    if isinstance(token, str) and len(token) > 20:
        assert token not in authorizer.log_text()
        assert token.split(".")[-1] not in authorizer.log_text() or token.endswith(".")
    assert SECRET not in authorizer.log_text()

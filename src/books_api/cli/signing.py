"""Signing keys and tokens for the local gateway: HS256 with the local secret, or a
private key whose public half is in a JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import warnings
from pathlib import Path
from typing import Any

import jwt

from books_api.cli.errors import CliError


def public_jwk(private_key: Any, alg: str, kid: str | None = None) -> dict[str, Any]:
    """The public JWK of a private key, with `kid` (default: its thumbprint), `alg`, `use`."""
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    public = private_key.public_key()
    family = ECAlgorithm if alg.startswith("ES") else RSAAlgorithm
    jwk: dict[str, Any] = family.to_jwk(public, as_dict=True)
    jwk.pop("key_ops", None)
    jwk.update({"kid": kid or thumbprint(jwk), "alg": alg, "use": "sig"})
    return jwk


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    members = ("e", "kty", "n") if jwk["kty"] == "RSA" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(sub: str, role: str, ttl: int, secret: str) -> str:
    now = int(time.time())
    return sign({"sub": sub, "Role": role, "iat": now, "exp": now + ttl}, "HS256", secret)


def sign(claims: dict[str, Any], alg: str, key: Any, kid: str | None = None) -> str:
    headers = {"kid": kid} if kid else None
    with warnings.catch_warnings():  # a short secret is the authorizer's to refuse, not ours
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=alg, headers=headers)


def load_private_key(path: Path, alg: str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise CliError(
            f"--key {path}: not a readable unencrypted PEM private key ({error})"
        ) from None
    wanted = ec.EllipticCurvePrivateKey if alg.startswith("ES") else rsa.RSAPrivateKey
    if not isinstance(key, wanted):
        raise CliError(f"--key {path}: not a key for {alg}")
    return key

"""Public keys from a JWKS URL, chosen by `kid`, cached in the warm container.

An unknown `kid` triggers at most one refetch per `min_refresh_s`, and keys older than
MAX_AGE_S are refetched on use (so a key removed from the JWKS stops working); a failed fetch
keeps the keys already cached, and the tokens that need a missing key are refused (401).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from books_api.auth.tokens import SignedToken, TokenRejected, algorithm

FETCH_TIMEOUT_S = 2.0
MAX_AGE_S = 300.0
MAX_DOCUMENT_BYTES = 512 * 1024
MIN_RSA_BITS = 2048
_KEY_TYPES = {"RS": ("RSA", None), "PS": ("RSA", None)}
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def fetch_document(url: str) -> bytes:
    """GET `url` within FETCH_TIMEOUT_S in all (connect, headers and body)."""
    deadline = time.monotonic() + FETCH_TIMEOUT_S
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "books-api-authorizer"}
    )
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
        if response.status != 200:
            raise OSError(f"JWKS answered {response.status}")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(16384):
            size += len(chunk)
            if size > MAX_DOCUMENT_BYTES:
                raise OSError("JWKS document too large")
            if time.monotonic() > deadline:
                raise TimeoutError("JWKS fetch took too long")
            chunks.append(chunk)
    return b"".join(chunks)


def parse_document(document: bytes) -> dict[str | None, dict[str, Any]]:
    """`{kid: jwk}` of the signing keys in a JWKS (symmetric and encryption keys dropped)."""
    data = json.loads(document)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError('a JWKS is a JSON object with a "keys" list')
    keys: dict[str | None, dict[str, Any]] = {}
    for jwk in data["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("RSA", "EC"):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        keys[kid if isinstance(kid, str) else None] = jwk
    return keys


def fits(jwk: dict[str, Any], alg: str) -> bool:
    """May this JWK verify `alg`? (key type, curve and the JWK's own `alg`)."""
    if jwk.get("alg") not in (None, alg):
        return False
    if alg in _CURVES:
        return jwk.get("kty") == "EC" and jwk.get("crv") == _CURVES[alg]
    return alg[:2] in _KEY_TYPES and jwk.get("kty") == "RSA"


def prepare(jwk: dict[str, Any], alg: str) -> Any:
    """The public key object of `jwk` for `alg`; raise ValueError if it cannot be used."""
    implementation = algorithm(alg)
    try:
        key: Any = implementation.from_jwk(jwk)
    except Exception as error:
        raise ValueError(f"unusable JWK: {type(error).__name__}") from None
    if hasattr(key, "public_key"):  # a JWKS should hold public keys only; never sign with it
        key = key.public_key()
    if getattr(key, "key_size", MIN_RSA_BITS) < MIN_RSA_BITS and alg[:2] in _KEY_TYPES:
        raise ValueError("RSA key shorter than 2048 bits")
    return implementation.prepare_key(key)


class JwksKeys:
    """`JWKS_URL`: the key source of IdP-issued tokens (Cognito, Auth0, Keycloak...)."""

    def __init__(
        self,
        url: str,
        min_refresh_s: float,
        on_failure: Callable[[str], None],
        fetch: Callable[[str], bytes] = fetch_document,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.min_refresh_s = min_refresh_s
        self._on_failure = on_failure
        self._fetch = fetch
        self._clock = clock
        self._jwks: dict[str | None, dict[str, Any]] = {}
        self._prepared: dict[tuple[str | None, str], Any] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key_for(self, token: SignedToken) -> Any:
        if self._older_than(max(MAX_AGE_S, self.min_refresh_s)):
            with self._lock:
                if self._older_than(max(MAX_AGE_S, self.min_refresh_s)):
                    self._refresh()
        prepared = self._prepared.get((token.kid, token.alg))
        if prepared is not None:
            return prepared
        jwk = self._find(token.kid)
        if jwk is None:
            with self._lock:
                jwk = self._find(token.kid)
                if jwk is None and self._may_refresh():
                    self._refresh()
                    jwk = self._find(token.kid)
        if jwk is None:
            raise TokenRejected("unknown kid" if token.kid is not None else "token has no kid")
        if not fits(jwk, token.alg):
            raise TokenRejected("key does not fit the algorithm")
        try:
            prepared = prepare(jwk, token.alg)
        except ValueError as error:
            raise TokenRejected(str(error)) from None
        self._prepared[(token.kid, token.alg)] = prepared
        return prepared

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        jwks = self._jwks
        if kid is None:  # without a kid, only a JWKS of exactly one key is unambiguous
            return next(iter(jwks.values())) if len(jwks) == 1 else None
        return jwks.get(kid)

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or self._older_than(self.min_refresh_s)

    def _older_than(self, seconds: float) -> bool:
        return self._fetched_at is not None and self._clock() - self._fetched_at >= seconds

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        try:
            jwks = parse_document(self._fetch(self.url))
        except Exception as error:
            self._on_failure(f"JWKS fetch failed: {type(error).__name__}")
            return
        self._jwks = jwks
        self._prepared = {}

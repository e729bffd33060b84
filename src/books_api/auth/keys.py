"""Where the verification key comes from: a shared secret (local, Secrets Manager or SSM)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from books_api.auth.tokens import SignedToken, TokenRejected, algorithm

MIN_SECRET_BYTES = 32
SECRET_RETRY_S = 5.0
SECRET_MAX_AGE_S = 300.0


class ConfigurationError(Exception):
    """The authorizer's settings cannot be used; every request is refused until fixed."""


class KeySource(Protocol):
    def key_for(self, token: SignedToken) -> Any:
        """The prepared key that must have signed `token`; raise TokenRejected if none."""
        ...


def secret_bytes(secret: str | bytes, allow_weak: bool) -> bytes:
    """The HMAC key of a secret; refuse short secrets and anything shaped like a public key."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if len(key) < MIN_SECRET_BYTES and not allow_weak:
        raise ConfigurationError(
            f"the JWT secret is {len(key)} bytes; at least {MIN_SECRET_BYTES} are required "
            "(ALLOW_WEAK_SECRET=1 accepts a weaker one)"
        )
    if not key:
        raise ConfigurationError("the JWT secret is empty")
    try:
        # PyJWT refuses PEM and SSH public keys as HMAC secrets (algorithm confusion).
        prepared: bytes = algorithm("HS256").prepare_key(key)
    except Exception:
        raise ConfigurationError("the JWT secret looks like a public key, not a secret") from None
    return prepared


def secret_from_text(value: str | bytes) -> str | bytes:
    """A stored secret is the raw secret, or JSON with the key `secret`."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            raise ConfigurationError("the stored secret is neither raw nor valid JSON") from None
        secret = document.get("secret") if isinstance(document, dict) else None
        if not isinstance(secret, str) or not secret:
            raise ConfigurationError('the stored secret JSON has no string key "secret"')
        return secret
    return value


class StaticSecret:
    """`JWT_SECRET`: checked at cold start."""

    def __init__(self, secret: str, allow_weak: bool) -> None:
        self._key = secret_bytes(secret, allow_weak)

    def key_for(self, token: SignedToken) -> bytes:
        return self._key


class FetchedSecret:
    """A secret fetched on first use (Secrets Manager or SSM), then kept for SECRET_MAX_AGE_S,
    so a rotated secret is picked up without a redeploy.

    A failed first fetch answers 401; a failed refresh keeps the secret already fetched.
    Either is retried at most every SECRET_RETRY_S seconds.
    """

    def __init__(
        self,
        fetch: Callable[[], str | bytes],
        allow_weak: bool,
        on_failure: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._allow_weak = allow_weak
        self._on_failure = on_failure
        self._clock = clock
        self._key: bytes | None = None
        self._next_fetch = float("-inf")
        self._lock = threading.Lock()

    def key_for(self, token: SignedToken) -> bytes:
        key = self._key
        if key is None or self._clock() >= self._next_fetch:
            with self._lock:
                if self._key is None or self._clock() >= self._next_fetch:
                    self._load()
                key = self._key
        if key is None:
            raise TokenRejected("secret unavailable")
        return key

    def _load(self) -> None:
        if self._clock() < self._next_fetch:
            return
        try:
            self._key = secret_bytes(secret_from_text(self._fetch()), self._allow_weak)
        except Exception as error:
            self._next_fetch = self._clock() + SECRET_RETRY_S
            self._on_failure(describe(error))
            return
        self._next_fetch = self._clock() + SECRET_MAX_AGE_S


def describe(error: BaseException) -> str:
    """A log-safe description: the error type, an AWS error code, or our own message."""
    if isinstance(error, ConfigurationError):
        return str(error)
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return f"{type(error).__name__} {code}"
    return type(error).__name__

"""Choose the key source and the algorithm allow-list from the settings (at cold start)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from books_api.auth.jwks import JwksKeys, fetch_document
from books_api.auth.keys import ConfigurationError, FetchedSecret, KeySource, StaticSecret
from books_api.auth.tokens import ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS
from books_api.settings import AuthSettings

DEFAULT_SECRET_ALGORITHMS = ("HS256",)
DEFAULT_JWKS_ALGORITHMS = ("RS256", "ES256")
# Told of each fetch: (source, seconds, ok); the source is secrets_manager, ssm or jwks.
FetchObserver = Callable[[str, float, bool], None]
Fetched = TypeVar("Fetched")


def key_source(
    settings: AuthSettings,
    on_failure: Callable[[str], None],
    on_fetch: FetchObserver | None = None,
) -> tuple[KeySource, frozenset[str]]:
    """The one configured key source and the algorithms it may verify."""
    configured = [
        name
        for name, value in (
            ("JWT_SECRET", settings.jwt_secret),
            ("JWT_SECRET_ARN", settings.jwt_secret_arn),
            ("JWT_SECRET_PARAMETER", settings.jwt_secret_parameter),
            ("JWKS_URL", settings.jwks_url),
        )
        if value
    ]
    if not configured:
        raise ConfigurationError(
            "no key source: set one of JWT_SECRET_ARN, JWT_SECRET_PARAMETER, JWKS_URL, JWT_SECRET"
        )
    if len(configured) > 1:
        raise ConfigurationError(f"set only one key source, not {' and '.join(configured)}")
    if settings.jwks_url:
        algorithms = allowed_algorithms(settings.algorithms, symmetric=False)
        if not _trusted_transport(settings.jwks_url):
            raise ConfigurationError(
                "JWKS_URL must be an https:// URL (http:// only on localhost or 127.0.0.1)"
            )
        fetch = _observed(fetch_document, "jwks", on_fetch)
        keys = JwksKeys(settings.jwks_url, settings.jwks_min_refresh_s, on_failure, fetch)
        return keys, algorithms
    algorithms = allowed_algorithms(settings.algorithms, symmetric=True)
    if settings.jwt_secret:
        return StaticSecret(settings.jwt_secret, settings.allow_weak_secret), algorithms
    from books_api.auth import aws_secrets

    region = settings.region

    if settings.jwt_secret_arn:
        arn = settings.jwt_secret_arn
        fetch_value = _observed(
            lambda: aws_secrets.fetch_secret(arn, region), "secrets_manager", on_fetch
        )
        source = FetchedSecret(fetch_value, settings.allow_weak_secret, on_failure)
    else:
        name = str(settings.jwt_secret_parameter)
        fetch_value = _observed(lambda: aws_secrets.fetch_parameter(name, region), "ssm", on_fetch)
        source = FetchedSecret(fetch_value, settings.allow_weak_secret, on_failure)
    return source, algorithms


def _observed(
    fetch: Callable[..., Fetched], source: str, on_fetch: FetchObserver | None
) -> Callable[..., Fetched]:
    """`fetch`, telling `on_fetch` how long each call took and whether it succeeded."""
    if on_fetch is None:
        return fetch
    observer = on_fetch

    def observed(*args: str) -> Fetched:
        started = time.perf_counter()
        try:
            result = fetch(*args)
        except BaseException:
            observer(source, time.perf_counter() - started, False)
            raise
        observer(source, time.perf_counter() - started, True)
        return result

    return observed


def allowed_algorithms(names: tuple[str, ...], symmetric: bool) -> frozenset[str]:
    """JWT_ALGORITHMS checked against the key source: no `none`, no algorithm confusion."""
    family = HMAC_ALGORITHMS if symmetric else ASYMMETRIC_ALGORITHMS
    chosen = names or (DEFAULT_SECRET_ALGORITHMS if symmetric else DEFAULT_JWKS_ALGORITHMS)
    normalized = [name.upper() for name in chosen]
    if "NONE" in normalized:
        raise ConfigurationError('JWT_ALGORITHMS: "none" is never accepted')
    wrong = [name for name in normalized if name not in family]
    if wrong:
        kind = "a shared secret" if symmetric else "JWKS public keys"
        raise ConfigurationError(
            f"JWT_ALGORITHMS: {', '.join(wrong)} cannot be verified with {kind} "
            f"(use {', '.join(sorted(family))})"
        )
    return frozenset(normalized)


def _trusted_transport(url: str) -> bool:
    parsed = urlsplit(url)
    if parsed.scheme == "https":
        return bool(parsed.hostname)
    loopback = parsed.hostname in ("localhost", "::1") or (parsed.hostname or "").startswith("127.")
    return parsed.scheme == "http" and loopback

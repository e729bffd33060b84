"""`books-api token`: print a signed JWT for the local gateway (only the token, on stdout)."""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import jwt

from books_api.cli.home import local_secret

ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "PS256", "ES256")


def register(commands: Any) -> None:
    parser = commands.add_parser("token", help="print a signed JWT for the local gateway")
    parser.add_argument("--sub", default="local-user", help="subject (default: local-user)")
    parser.add_argument("--role", default="api_user", help="claim Role (default: api_user)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until exp (default 3600)")
    parser.add_argument(
        "--alg", choices=ALGORITHMS, default="HS256", help="HS256 uses the local secret"
    )
    parser.add_argument("--key", type=Path, help="PEM private key (RS256, PS256, ES256)")
    parser.add_argument("--kid", help="key id header (default with --key: its thumbprint)")
    parser.add_argument("--iss", help="issuer claim")
    parser.add_argument("--aud", help="audience claim")
    parser.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra claim (repeatable); a JSON list or object value is kept as JSON",
    )
    parser.set_defaults(run=run)


def make_token(sub: str, role: str, ttl: int, secret: str) -> str:
    now = int(time.time())
    return sign({"sub": sub, "Role": role, "iat": now, "exp": now + ttl}, "HS256", secret)


def sign(claims: dict[str, Any], alg: str, key: Any, kid: str | None = None) -> str:
    headers = {"kid": kid} if kid else None
    with warnings.catch_warnings():  # a short secret is the authorizer's to refuse, not ours
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=alg, headers=headers)


def parse_claim(text: str) -> tuple[str, Any]:
    from books_api.cli import CliError

    name, equals, value = text.partition("=")
    if not equals or not name:
        raise CliError(f"--claim {text!r}: expected NAME=VALUE")
    if value.startswith(("[", "{")):
        try:
            return name, json.loads(value)
        except ValueError:
            raise CliError(f"--claim {name}: the value is not valid JSON") from None
    return name, value


def load_private_key(path: Path, alg: str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from books_api.cli import CliError

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


def run(args: argparse.Namespace) -> int:
    from books_api.cli import CliError
    from books_api.cli.keys import public_jwk

    now = int(time.time())
    claims: dict[str, Any] = {"sub": args.sub, "Role": args.role, "iat": now, "exp": now + args.ttl}
    if args.iss:
        claims["iss"] = args.iss
    if args.aud:
        claims["aud"] = args.aud
    claims.update(parse_claim(text) for text in args.claim)
    if args.alg.startswith("HS"):
        if args.key:
            raise CliError("--key is for RS256, PS256 and ES256; HS256 uses the local secret")
        print(sign(claims, args.alg, local_secret(), args.kid))
        return 0
    if args.key is None:
        raise CliError(f"--alg {args.alg} needs --key PATH (see `books-api keys generate`)")
    key = load_private_key(args.key, args.alg)
    print(sign(claims, args.alg, key, args.kid or public_jwk(key, args.alg)["kid"]))
    return 0

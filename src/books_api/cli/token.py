"""`books-api token`: print a signed JWT for the local gateway (only the token, on stdout)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from books_api.cli.errors import CliError
from books_api.cli.home import local_secret
from books_api.cli.signing import load_private_key, public_jwk, sign

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
    cognito = parser.add_argument_group(
        "Cognito user pool tokens", "for a cognito_user_pools authorizer (sign with --alg RS256)"
    )
    cognito.add_argument(
        "--user-pool", metavar="ARN", help="issuer of this user pool (instead of --iss)"
    )
    cognito.add_argument("--token-use", choices=("id", "access"), help="claim token_use")
    cognito.add_argument(
        "--scope",
        action="append",
        default=[],
        help="an access token's scope, e.g. books/read (repeatable)",
    )
    cognito.add_argument(
        "--client-id", help="app client: claim aud of an ID token, client_id of an access token"
    )
    parser.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra claim (repeatable); a JSON list or object value is kept as JSON",
    )
    parser.set_defaults(run=run)


def parse_claim(text: str) -> tuple[str, Any]:

    name, equals, value = text.partition("=")
    if not equals or not name:
        raise CliError(f"--claim {text!r}: expected NAME=VALUE")
    if value.startswith(("[", "{")):
        try:
            return name, json.loads(value)
        except ValueError:
            raise CliError(f"--claim {name}: the value is not valid JSON") from None
    return name, value


def cognito_claims(args: argparse.Namespace) -> dict[str, Any]:
    """The claims a Cognito user pool puts in an ID or access token, from the options."""
    claims: dict[str, Any] = {}
    if args.user_pool:
        from books_api.local.gateway.cognito import issuer_of

        issuer = issuer_of(args.user_pool)
        if issuer is None:
            raise CliError(
                f"--user-pool {args.user_pool!r}: expected "
                "arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID"
            )
        if args.iss:
            raise CliError("--user-pool sets the issuer; leave out --iss")
        claims["iss"] = issuer
    if args.scope and args.token_use != "access":
        raise CliError("--scope is for access tokens: add --token-use access")
    if args.token_use:
        claims["token_use"] = args.token_use
    if args.scope:
        claims["scope"] = " ".join(args.scope)  # space-separated, as Cognito writes it
    if args.client_id:
        claims["aud" if args.token_use != "access" else "client_id"] = args.client_id
    return claims


def run(args: argparse.Namespace) -> int:

    now = int(time.time())
    claims: dict[str, Any] = {"sub": args.sub, "Role": args.role, "iat": now, "exp": now + args.ttl}
    if args.iss:
        claims["iss"] = args.iss
    if args.aud:
        claims["aud"] = args.aud
    claims.update(cognito_claims(args))
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

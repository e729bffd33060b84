"""`books-api token`: print a signed JWT for the local gateway (only the token, on stdout)."""

from __future__ import annotations

import argparse
import time
from typing import Any

import jwt

from books_api.cli.home import local_secret


def register(commands: Any) -> None:
    parser = commands.add_parser("token", help="print a signed JWT for the local gateway")
    parser.add_argument("--sub", default="local-user", help="subject (default: local-user)")
    parser.add_argument("--role", default="api_user", help="claim Role (default: api_user)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until exp (default 3600)")
    parser.set_defaults(run=run)


def make_token(sub: str, role: str, ttl: int, secret: str) -> str:
    now = int(time.time())
    claims = {"sub": sub, "Role": role, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def run(args: argparse.Namespace) -> int:
    print(make_token(args.sub, args.role, args.ttl, local_secret()))
    return 0

"""`books-api keys generate`: a signing key pair for JWKS tokens (private PEM + public JWKS)."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from books_api.cli.errors import CliError
from books_api.cli.signing import load_private_key, make_token, public_jwk, sign

PRIVATE_KEY_FILE = "private-key.pem"
JWKS_FILE = "jwks.json"
KEY_ALGORITHMS = ("RS256", "PS256", "ES256")


def register(commands: Any) -> None:
    parser = commands.add_parser("keys", help="make signing keys for JWKS tokens")
    actions = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = actions.add_parser(
        "generate", help=f"write {PRIVATE_KEY_FILE} and {JWKS_FILE} into a directory"
    )
    generate.add_argument(
        "--alg", choices=KEY_ALGORITHMS, default="RS256", help="signing algorithm (default RS256)"
    )
    generate.add_argument("--out", type=Path, required=True, help="directory to write into")
    generate.add_argument("--kid", default=None, help="key id (default: the RFC 7638 thumbprint)")
    generate.add_argument("--force", action="store_true", help="replace an existing key")
    generate.add_argument(
        "--publish-to",
        type=Path,
        default=None,
        metavar="JWKS_FILE",
        help="also add the public key to this JWKS (key rotation: old keys stay)",
    )
    generate.set_defaults(run=run_generate)


def publish(jwk: dict[str, Any], jwks_file: Path) -> None:
    """Add `jwk` to a JWKS file (created if absent), replacing a key with the same kid."""

    try:
        document = json.loads(jwks_file.read_text("utf-8")) if jwks_file.exists() else {}
    except (OSError, ValueError) as error:
        raise CliError(f"--publish-to {jwks_file}: not a readable JWKS ({error})") from None
    keys = document.get("keys", []) if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise CliError(f'--publish-to {jwks_file}: a JWKS is an object with a "keys" list')
    kept = [key for key in keys if not (isinstance(key, dict) and key.get("kid") == jwk["kid"])]
    partial = jwks_file.with_name(jwks_file.name + ".tmp")
    partial.write_text(json.dumps({"keys": [*kept, jwk]}, indent=2) + "\n", "utf-8")
    partial.replace(jwks_file)  # readers never see a half-written file


def generate_private_key(alg: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if alg.startswith("ES"):
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def run_generate(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization

    out: Path = args.out
    key_path, jwks_path = out / PRIVATE_KEY_FILE, out / JWKS_FILE
    if key_path.exists() and not args.force:
        raise CliError(f"{key_path} exists; use --force to replace it")
    out.mkdir(parents=True, exist_ok=True)
    private_key = generate_private_key(args.alg)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path.unlink(missing_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    jwk = public_jwk(private_key, args.alg, args.kid)
    jwks_path.write_text(json.dumps({"keys": [jwk]}, indent=2) + "\n", "utf-8")
    if args.publish_to is not None:
        publish(jwk, args.publish_to)
        jwks_path = args.publish_to
    print(
        f"private key: {key_path} (keep it secret)\n"
        f"JWKS:        {jwks_path} (publish it; kid {jwk['kid']})\n"
        f"Serve:       books-api serve --jwks {jwks_path}\n"
        f"Token:       books-api token --alg {args.alg} --key {key_path}"
    )
    return 0


JWKS_PATH = "/.well-known/jwks.json"


def local_authorizer_environment(
    secret: str, jwks_file: Path | None, host: str, port: int
) -> dict[str, str]:
    """The local authorizer's variables: those set in this shell, then one key source:
    the JWKS file (served by the gateway at JWKS_PATH), a key source named in the shell,
    or the local secret."""
    from books_api.settings import AUTH_VARIABLES, KEY_SOURCE_VARIABLES

    environment = {name: os.environ[name] for name in AUTH_VARIABLES if name in os.environ}
    if jwks_file is not None:
        environment.update(dict.fromkeys(KEY_SOURCE_VARIABLES, ""))
        environment["JWKS_URL"] = f"http://{_loopback(host)}:{port}{JWKS_PATH}"
        # A local file has no identity provider to spare: pick up rotated keys at once.
        environment.setdefault("JWKS_MIN_REFRESH_SECONDS", "0")
        if not environment.get("JWT_ALGORITHMS"):
            environment["JWT_ALGORITHMS"] = ",".join(check_jwks_file(jwks_file))
    elif not any(environment.get(name) for name in KEY_SOURCE_VARIABLES[1:]):
        environment["JWT_SECRET"] = secret
    return environment


def check_jwks_file(path: Path) -> list[str]:
    """The algorithms of a JWKS file's signing keys; CliError if it has none."""
    from books_api.auth.jwks import parse_document
    from books_api.auth.tokens import ASYMMETRIC_ALGORITHMS

    try:
        keys = parse_document(path.read_bytes())
    except (OSError, ValueError) as error:
        raise CliError(f"--jwks {path}: not a readable JWKS ({error})") from None
    if not keys:
        raise CliError(f"--jwks {path}: no RSA or EC signing key in it")
    named = {str(jwk["alg"]) for jwk in keys.values() if jwk.get("alg") in ASYMMETRIC_ALGORITHMS}
    return sorted(named | set(KEY_ALGORITHMS))  # any key `keys generate` makes may rotate in


def _loopback(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def example_token(secret: str, jwks_file: Path | None) -> str:
    """A one-hour api_user token the local gateway accepts (with --jwks: signed by the
    private key that `keys generate` wrote beside the JWKS, when it is there)."""

    if jwks_file is None:
        return make_token("local-user", "api_user", 3600, secret)
    key_path = jwks_file.parent / PRIVATE_KEY_FILE
    jwks = json.loads(jwks_file.read_text("utf-8"))
    for jwk in jwks.get("keys", []):
        alg = jwk.get("alg")
        if key_path.is_file() and alg in KEY_ALGORITHMS:
            key = load_private_key(key_path, alg)
            if public_jwk(key, alg, jwk.get("kid")) == jwk:
                now = int(time.time())
                claims = {"sub": "local-user", "Role": "api_user", "iat": now, "exp": now + 3600}
                return sign(claims, alg, key, jwk.get("kid"))
    return "$(books-api token --alg ALG --key PRIVATE_KEY)"

"""A JWKS document served over HTTP on loopback, which a test may change or break."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def public_jwk(key: PrivateKey, kid: str, alg: str | None = None) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig"})
    if alg:
        jwk["alg"] = alg
    return jwk


class JwksSite:
    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.status = 200
        self.delay_s = 0.0
        self.body: bytes | None = None  # raw body instead of the keys
        self.requests = 0
        self.url = ""

    def publish(self, *jwks: dict[str, Any]) -> None:
        self.keys = list(jwks)
        self.status, self.delay_s, self.body = 200, 0.0, None

    def document(self) -> bytes:
        return self.body if self.body is not None else json.dumps({"keys": self.keys}).encode()


@contextmanager
def jwks_site() -> Iterator[JwksSite]:
    site = JwksSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests += 1
            if site.delay_s:
                time.sleep(site.delay_s)
            body = site.document()
            self.send_response(site.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

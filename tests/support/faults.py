"""A DynamoDB endpoint that throttles on demand: a loopback HTTP proxy in front of moto_server.

moto never throttles, so this proxy plays DynamoDB's answer to a request over the table's
capacity: HTTP 400 with `ThrottlingException`, to every request while `throttling` is set.
Otherwise it passes each request to moto_server and its answer back, unchanged.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

THROTTLED = (
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
    b'"message":"Rate of requests exceeds the allowed throughput."}'
)


class ThrottlingProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urlsplit(upstream)
        self.throttling = False
        self.throttled = 0  # requests answered with ThrottlingException

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ThrottlingProxy
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # DynamoDB's JSON protocol is POST / only
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.throttling:
            self.server.throttled += 1
            self._answer(400, {"Content-Type": "application/x-amz-json-1.0"}, THROTTLED)
            return
        upstream = http.client.HTTPConnection(
            self.server.upstream.hostname or "127.0.0.1", self.server.upstream.port, timeout=30
        )
        try:
            headers = {name: value for name, value in self.headers.items() if name != "Host"}
            upstream.request("POST", self.path, body, headers)
            answer = upstream.getresponse()
            payload = answer.read()
            kept = {
                name: value
                for name, value in answer.getheaders()
                if name.lower() not in ("content-length", "connection", "transfer-encoding")
            }
            self._answer(answer.status, kept, payload)
        finally:
            upstream.close()

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def throttling_proxy(upstream: str) -> Iterator[ThrottlingProxy]:
    proxy = ThrottlingProxy(upstream)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=10)

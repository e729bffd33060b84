"""What `serve` checks before it says anything: the port can be listened on, the document and
functions file can be served, and every function's cold start succeeds."""

from __future__ import annotations

import errno
import re
import socket
from pathlib import Path

from books_api.local.gateway.document import ApiSpec
from books_api.local.gateway.document import load as load_document
from books_api.local.lambda_runtime.cold_start import check_cold_starts
from books_api.local.lambda_runtime.function import LambdaFunction, add_code_roots
from books_api.local.lambda_runtime.functions_file import DocumentError

BACKLOG = 2048  # uvicorn's default


class StartupError(Exception):
    """The gateway cannot start; the message says what, where and how to fix it."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, bound before anything else is started (requests that
    arrive during the cold-start checks wait in its backlog)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise StartupError(
            f"--host {host}: not an address of this machine ({error.strerror}); "
            "use 127.0.0.1, ::1 or 0.0.0.0"
        ) from None
    family, kind, proto, _, address = addresses[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        raise StartupError(_bind_failure(host, port, error)) from None
    sock.set_inheritable(True)  # --reload hands it to the server process
    return sock


def _bind_failure(host: str, port: int, error: OSError) -> str:
    where = f"{host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return f"{where} is already in use (another server?): stop it, or choose --port"
    if error.errno == errno.EACCES:
        return (
            f"{where}: permission denied (ports under 1024 need root): choose --port 1024 or above"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host {host}: not an address of this machine; use 127.0.0.1, ::1 or 0.0.0.0"
    return f"cannot listen on {where}: {error.strerror or error}"


def load_spec(api_path: Path, functions_path: Path) -> ApiSpec:
    """The document with its functions file; StartupError names the file at fault."""
    for option, path in (("--api", api_path), ("--functions", functions_path)):
        if not path.is_file():
            raise StartupError(f"{option} {path}: no such file; give the path of an existing file")
    try:
        return load_document(api_path, functions_path)
    except DocumentError as error:
        message = str(error)
        if str(api_path) in message or str(functions_path) in message:
            raise StartupError(message) from None
        raise StartupError(f"{api_path} (functions: {functions_path}): {message}") from None
    except (ValueError, TypeError, AttributeError, KeyError, re.error) as error:
        # A value of the wrong shape (a list for a mapping, a bad regular expression...).
        raise StartupError(
            f"{api_path} (functions: {functions_path}): a value the gateway cannot use "
            f"({type(error).__name__}: {error}); check the x-amazon-apigateway extensions"
        ) from None


def check_functions(functions: dict[str, LambdaFunction], functions_path: Path) -> None:
    """Every function's cold start, at once; StartupError for the first that fails."""
    add_code_roots(Path.cwd(), functions_path.parent)  # as the gateway imports them
    failures = check_cold_starts(functions.values())
    if failures:
        hint = (
            f"fix it (handlers are imported from {Path.cwd()}, {functions_path.parent} "
            "or installed packages)"
        )
        raise StartupError(f"{failures[0].describe()}; {hint}")

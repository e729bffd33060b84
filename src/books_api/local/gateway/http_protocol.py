"""uvicorn's httptools protocol, extended at two seams: header names as the client sent them,
and each response sent in one write.

ASGI hands an app header names in lower case; API Gateway passes them to the function as the
client sent them (`X-Dup`, not `x-dup`). The protocol keeps the names it parsed, in order,
in the scope's extensions (`scope["extensions"][HEADER_NAMES]["names"]`), beside ASGI's
lower-case `headers`.

uvicorn writes a response's head and body with two `transport.write` calls: two syscalls,
and two TCP segments on the wire. Here the writes a response makes in one turn of the event
loop are joined and sent at the end of that turn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from books_api.local.gateway.app import HEADER_NAMES


class _JoinedWrites:
    """A transport that queues writes and flushes them together, soon after."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GatewayHttpProtocol(HttpToolsProtocol):
    _header_names: list[bytes]

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_names = []
        self.scope["extensions"] = {HEADER_NAMES: {"names": self._header_names}}

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_names.append(name)
        super().on_header(name, value)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoinedWrites(transport, self.loop))  # type: ignore[arg-type]

"""Frames between the gateway and an execution environment: a 4-byte big-endian length, then
that many bytes.

Gateway -> environment: one kind byte, `request id`, LF, the event: as JSON, or for a proxy
event the arguments of `events.proxy_event` (marshal: a fraction of the cost of JSON both
ways; the environment builds the very same event).
Environment -> gateway: one kind byte, then its payload.
"""

from __future__ import annotations

import marshal
import socket
import struct
from typing import Any

JSON_EVENT = b"J"
PROXY_EVENT = b"P"

READY = b"R"  # the handler is imported; payload: init duration in ms
INIT_ERROR = b"I"  # the import failed; payload: Lambda's error object (JSON); the process ends
ANSWER = b"A"  # payload: the handler's run time (double), then its result (JSON)
ERROR = b"E"  # payload: the handler's run time (double), then Lambda's error object (JSON)

_LENGTH = struct.Struct(">I")
_SECONDS = struct.Struct(">d")
HEADER_SIZE = _LENGTH.size


def frame(payload: bytes) -> bytes:
    return _LENGTH.pack(len(payload)) + payload


def json_invocation(request_id: str, event_json: bytes) -> bytes:
    return frame(JSON_EVENT + request_id.encode("ascii", "replace") + b"\n" + event_json)


def proxy_invocation(request_id: str, arguments: tuple[Any, ...]) -> bytes:
    return frame(
        PROXY_EVENT + request_id.encode("ascii", "replace") + b"\n" + marshal.dumps(arguments)
    )


def split_invocation(payload: bytes) -> tuple[bytes, str, bytes]:
    """(kind, request id, event bytes)"""
    request_id, _, event = payload[1:].partition(b"\n")
    return payload[:1], request_id.decode("ascii"), event


def proxy_arguments(event: bytes) -> Any:
    return marshal.loads(event)


def answer(kind: bytes, run_s: float, body: bytes) -> bytes:
    return frame(kind + _SECONDS.pack(run_s) + body)


def split_answer(payload: bytes) -> tuple[float, bytes]:
    """(run time in seconds, body) of an ANSWER or ERROR frame's payload."""
    (run_s,) = _SECONDS.unpack_from(payload, 1)
    return run_s, payload[1 + _SECONDS.size :]


def take_frames(buffer: bytearray) -> list[bytes]:
    """The whole frames at the start of `buffer`, removed from it."""
    frames: list[bytes] = []
    start = 0
    end = len(buffer)
    while end - start >= HEADER_SIZE:
        (size,) = _LENGTH.unpack_from(buffer, start)
        if end - start - HEADER_SIZE < size:
            break
        frames.append(bytes(buffer[start + HEADER_SIZE : start + HEADER_SIZE + size]))
        start += HEADER_SIZE + size
    if start:
        del buffer[:start]
    return frames


class FrameReader:
    """Blocking reads of whole frames from a socket (the environment's side)."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = bytearray()
        self.pending: list[bytes] = []

    def read(self) -> bytes | None:
        """The next frame; None once the other side has closed the socket."""
        while not self.pending:
            chunk = self.connection.recv(1 << 18)
            if not chunk:
                return None
            self.buffer += chunk
            self.pending = take_frames(self.buffer)
            self.pending.reverse()
        return self.pending.pop()

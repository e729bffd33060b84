"""Frames between the gateway and an execution environment: whole frames only, however the
bytes arrive."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import cast

import pytest

from books_api.local.lambda_runtime import wire


def test_take_frames_leaves_a_partial_header_in_the_buffer() -> None:
    buffer = bytearray(wire.frame(b"hello")[:3])
    assert wire.take_frames(buffer) == []
    assert buffer == wire.frame(b"hello")[:3]


def test_take_frames_leaves_a_partial_payload_in_the_buffer() -> None:
    whole = wire.frame(b"hello")
    buffer = bytearray(whole[:-1])
    assert wire.take_frames(buffer) == []
    assert buffer == whole[:-1]
    buffer += whole[-1:]
    assert wire.take_frames(buffer) == [b"hello"]
    assert buffer == bytearray()


def test_take_frames_takes_several_frames_from_one_chunk_and_keeps_the_rest() -> None:
    rest = wire.frame(b"fourth")[:6]
    buffer = bytearray(wire.frame(b"first") + wire.frame(b"") + wire.frame(b"third") + rest)
    assert wire.take_frames(buffer) == [b"first", b"", b"third"]
    assert buffer == rest


def test_take_frames_one_byte_at_a_time() -> None:
    stream = wire.frame(b"a" * 300) + wire.frame(b"b")
    buffer = bytearray()
    frames: list[bytes] = []
    for byte in stream:
        buffer.append(byte)
        frames += wire.take_frames(buffer)
    assert frames == [b"a" * 300, b"b"]
    assert buffer == bytearray()


def test_answer_and_invocation_frames_round_trip() -> None:
    buffer = bytearray(
        wire.answer(wire.ANSWER, 0.25, b'{"ok": true}') + wire.json_invocation("req-1", b'{"a": 1}')
    )
    answer, invocation = wire.take_frames(buffer)
    assert answer[:1] == wire.ANSWER
    assert wire.split_answer(answer) == (0.25, b'{"ok": true}')
    assert wire.split_invocation(invocation) == (wire.JSON_EVENT, "req-1", b'{"a": 1}')


class ChunkedConnection:
    """A socket stand-in whose recv returns the given chunks, then end of file."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks: Iterator[bytes] = iter(chunks)

    def recv(self, size: int) -> bytes:
        chunk = next(self.chunks, b"")
        assert len(chunk) <= size
        return chunk


def reader_over(chunks: list[bytes]) -> wire.FrameReader:
    return wire.FrameReader(cast(socket.socket, ChunkedConnection(chunks)))


def test_frame_reader_joins_a_frame_split_across_reads() -> None:
    whole = wire.frame(b"split frame")
    reader = reader_over([whole[:2], whole[2:5], whole[5:9], whole[9:]])
    assert reader.read() == b"split frame"
    assert reader.read() is None


def test_frame_reader_returns_several_frames_of_one_read_in_order() -> None:
    tail = wire.frame(b"four")
    chunk = wire.frame(b"one") + wire.frame(b"two") + wire.frame(b"three") + tail[:3]
    reader = reader_over([chunk, tail[3:]])
    assert reader.read() == b"one"
    assert reader.pending  # the sandbox sends its answers only once nothing is pending
    assert reader.read() == b"two"
    assert reader.read() == b"three"
    assert not reader.pending
    assert reader.read() == b"four"
    assert reader.read() is None


@pytest.fixture
def socket_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        yield ours, theirs


def test_frame_reader_over_a_real_socket(
    socket_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = socket_pair
    big = bytes(range(256)) * 2048  # more than one recv, and more than the socket buffers
    sender = threading.Thread(target=ours.sendall, args=(wire.frame(b"small") + wire.frame(big),))
    sender.start()
    reader = wire.FrameReader(theirs)
    assert reader.read() == b"small"
    assert reader.read() == big
    sender.join(timeout=5)
    ours.sendall(wire.frame(b"last")[:3])
    ours.sendall(wire.frame(b"last")[3:])
    assert reader.read() == b"last"
    ours.shutdown(socket.SHUT_WR)
    assert reader.read() is None

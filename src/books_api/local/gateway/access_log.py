"""The stage access log: one JSON line per request, with the article's fields."""

from __future__ import annotations

import asyncio
import sys
from json.encoder import encode_basestring_ascii as _quoted
from typing import TextIO


class AccessLog:
    """Lines written during one turn of the event loop reach the stream together, at the end
    of that turn (before the responses they describe are sent)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self._lines: list[str] = []

    def write(
        self,
        *,
        request_id: str,
        ip: str,
        request_time: str,
        http_method: str,
        resource_path: str,
        status: int,
        response_length: int,
    ) -> None:
        # The same line as json.dumps of the fields, at a fraction of its cost.
        line = (
            f'{{"requestId":{_quoted(request_id)},"ip":{_quoted(ip)},'
            f'"requestTime":{_quoted(request_time)},"httpMethod":{_quoted(http_method)},'
            f'"resourcePath":{_quoted(resource_path)},"status":"{status:d}",'
            f'"responseLength":"{response_length:d}"}}\n'
        )
        if not self._lines:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no event loop: write it now
                self._lines.append(line)
                self.flush()
                return
        self._lines.append(line)

    def flush(self) -> None:
        lines, self._lines = self._lines, []
        if lines:
            self.stream.write("".join(lines))
            self.stream.flush()

"""The stage access log: one JSON line per request, with the article's fields."""

from __future__ import annotations

import json
import sys
import threading
from typing import TextIO


class AccessLog:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()

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
        line = json.dumps(
            {
                "requestId": request_id,
                "ip": ip,
                "requestTime": request_time,
                "httpMethod": http_method,
                "resourcePath": resource_path,
                "status": str(status),
                "responseLength": str(response_length),
            },
            separators=(",", ":"),
        )
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

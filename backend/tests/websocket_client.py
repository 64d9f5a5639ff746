"""A bare RFC 6455 client for tests that talk to a real server over a socket."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO


@dataclass
class Handshake:
    status: int
    stream: BinaryIO

    def messages(self) -> Iterator[dict[str, Any]]:
        """The server's JSON messages until it closes the connection."""
        assert self.status == 101, f"the handshake answered {self.status}"
        while True:
            opcode, length = self.stream.read(2)
            if length & 0x7F == 126:
                (size,) = struct.unpack("!H", self.stream.read(2))
            elif length & 0x7F == 127:
                (size,) = struct.unpack("!Q", self.stream.read(8))
            else:
                size = length & 0x7F
            payload = self.stream.read(size)
            if opcode & 0x0F == 0x8:  # close
                return
            yield json.loads(payload)


@contextmanager
def websocket(
    base_url: str, path: str, *, origin: str | None = None, cookie: str | None = None
) -> Iterator[Handshake]:
    """Open ``path`` on ``base_url`` (``http://host:port``); send ``Origin`` only when
    given, as a script would not."""
    host, port = base_url.removeprefix("http://").split(":")
    optional = "".join(
        f"{name}: {value}\r\n"
        for name, value in (("Origin", origin), ("Cookie", cookie))
        if value is not None
    )
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        key = base64.b64encode(os.urandom(16)).decode()
        connection.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{optional}"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        stream = connection.makefile("rb")
        status = int(stream.readline().split()[1])
        while stream.readline() not in (b"\r\n", b""):
            pass
        yield Handshake(status, stream)

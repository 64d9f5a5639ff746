"""Real nginx processes rendered from the repository's templates, and a recording upstream."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import WSMsgType, web

import devproxy

# Everything these tests start listens in this engineer-reserved loopback range.
PROXY_HOST = "127.0.4.2"
UPSTREAM_HOST = "127.0.4.3"
TRUSTED_CLIENT_HOST = "127.0.4.4"
STARTUP_TIMEOUT_SECONDS = 10


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body_bytes: int


@dataclass
class Upstream:
    """A backend or inference stand-in that records what nginx passes on.

    Every HTTP request is answered with JSON naming its path; ``?sleep=S`` delays the
    answer, ``?pad=N`` adds N bytes; the answer carries the headers a Django response
    would (X-Frame-Options, Referrer-Policy), so the proxy's own can be told apart. A
    WebSocket upgrade is accepted, greets with its path and query, then echoes.
    """

    host: str = UPSTREAM_HOST
    port: int = 0
    received: list[Received] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._echo(request)
        body = await request.read()
        self.received.append(
            Received(request.method, request.path_qs, dict(request.headers), len(body))
        )
        await asyncio.sleep(float(request.query.get("sleep", "0")))
        payload = {"path": request.path_qs, "pad": "x" * int(request.query.get("pad", "0"))}
        return web.json_response(
            payload,
            headers={"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "same-origin"},
        )

    async def _echo(self, request: web.Request) -> web.WebSocketResponse:
        socket_ = web.WebSocketResponse()
        await socket_.prepare(request)
        await socket_.send_str(f"connected {request.path_qs}")
        async for message in socket_:
            if message.type == WSMsgType.TEXT:
                await socket_.send_str(message.data)
        return socket_

    @contextmanager
    def running(self) -> Iterator[Upstream]:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        self.port = self.port or free_port(self.host)

        async def start() -> None:
            await runner.setup()
            await web.TCPSite(runner, self.host, self.port).start()

        asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)


@dataclass(frozen=True)
class RunningProxy:
    url: str
    settings: devproxy.LoopbackProxy

    def access_log(self, containing: str) -> list[dict[str, Any]]:
        """The access log's entries, once a line containing ``containing`` is there.

        nginx writes a request's line after the response (for a WebSocket, after the
        connection closed), so a test waits for the line it is about.
        """
        deadline = time.monotonic() + 5
        while containing not in (text := self.settings.access_log.read_text()):
            assert time.monotonic() < deadline, f"no access log line with {containing!r}"
            time.sleep(0.05)
        return [json.loads(line) for line in text.splitlines()]


# The conftest's start_proxy fixture: (environ, config, upstream_address) -> RunningProxy.
StartProxy = Callable[..., RunningProxy]


def require_nginx() -> str:
    nginx = devproxy.find_nginx()
    if nginx is None:
        pytest.fail("nginx is not installed; .ci/install-system-packages installs it")
    return nginx


@contextmanager
def running_proxy(
    site: Path,
    runtime: Path,
    upstream: str,
    environ: Mapping[str, str] | None = None,
    config: str = "nginx.conf",
) -> Iterator[RunningProxy]:
    """nginx rendered by make run's own code, in the foreground, on a free port.

    ``upstream`` stands in for both the backend and the inference service.
    """
    nginx = require_nginx()
    settings = devproxy.LoopbackProxy(
        host=PROXY_HOST,
        port=free_port(PROXY_HOST),
        backend=upstream,
        inference=upstream,
        spa_root=site / "dist",
        static_root=site / "static",
        runtime_dir=runtime,
    )
    command = settings.command(nginx, dict(environ or {}), config=config)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{PROXY_HOST}:{settings.port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx exited: {settings.error_log_tail()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
        yield RunningProxy(url=url, settings=settings)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def write_spa(root: Path) -> dict[str, str]:
    """A built SPA as Vite lays it out: index.html naming content-hashed assets."""
    assets = root / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    script = "export const routes = [" + ",".join(f'"/page/{n}"' for n in range(400)) + "];\n"
    (assets / "index-3f9a1c2b.js").write_text(script)
    (assets / "index-77d0e1aa.css").write_text("body { margin: 0; }\n" * 200)
    (root / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/index-3f9a1c2b.js">'
        '</script><link rel="stylesheet" href="/assets/index-77d0e1aa.css"></head>'
        '<body><div id="app"></div></body></html>\n'
    )
    (root / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    return {"script": "/assets/index-3f9a1c2b.js", "style": "/assets/index-77d0e1aa.css"}

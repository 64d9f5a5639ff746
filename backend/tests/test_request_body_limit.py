"""Oversized bodies are refused by the ASGI guard before Django spools them to disk."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator

from core.asgi import RequestBodyLimit

LIMIT = 1000


async def _spooling_app(scope: Any, receive: Any, send: Any) -> None:
    """Stands in for Django: reads the whole body, then answers 200."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/api/v1/training_data/", "headers": headers}


async def _response(communicator: ApplicationCommunicator) -> tuple[int, bytes]:
    start = await communicator.receive_output(timeout=5)
    body = await communicator.receive_output(timeout=5)
    return start["status"], body["body"]


@pytest.fixture(autouse=True)
def _small_limit(settings: Any) -> None:
    settings.MAX_UPLOAD_SIZE = LIMIT


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_declared_oversized_body_is_refused_before_reading() -> None:
    app = RequestBodyLimit(_spooling_app)
    communicator = ApplicationCommunicator(app, _scope([(b"content-length", b"10000000")]))
    status, body = await _response(communicator)
    assert status == 413
    assert "upload limit" in json.loads(body)["error"]["message"]


@pytest.mark.anyio
async def test_undeclared_body_is_cut_off_once_it_crosses_the_limit() -> None:
    app = RequestBodyLimit(_spooling_app)
    communicator = ApplicationCommunicator(app, _scope([]))
    chunk = b"x" * 64 * 1024
    for _ in range(3):
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": True})
    status, body = await _response(communicator)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"


@pytest.mark.anyio
async def test_body_within_the_limit_reaches_the_app() -> None:
    app = RequestBodyLimit(_spooling_app)
    communicator = ApplicationCommunicator(app, _scope([(b"content-length", b"10")]))
    await communicator.send_input({"type": "http.request", "body": b"x" * 10})
    assert await _response(communicator) == (200, b"ok")

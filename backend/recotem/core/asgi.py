"""ASGI middleware that sits in front of Django."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings

from core.limits import MULTIPART_ALLOWANCE, too_large_message
from recotem_common import errors as codes
from recotem_common.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


# When the request's first byte arrived, in seconds since the epoch: see request_started_at.
REQUEST_STARTED_AT = "recotem.request_started_at"


def request_started_at(request: Any) -> float | None:
    """When the request began to arrive (ASGI only), for checks that must not depend on
    how long its body took to upload."""
    scope = getattr(request, "scope", None)
    return scope.get(REQUEST_STARTED_AT) if isinstance(scope, MutableMapping) else None


class RequestBodyLimit:
    """Refuses request bodies over the upload limit while they arrive.

    Django's ASGI handler spools the whole body to disk before any view runs, so without
    this a client could fill the disk with a body the view would then refuse. A declared
    ``Content-Length`` over the limit is refused before reading; an undeclared one is cut
    off as soon as it crosses the limit.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[REQUEST_STARTED_AT] = time.time()
        limit = settings.MAX_UPLOAD_SIZE + MULTIPART_ALLOWANCE
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send)
            return

        received = 0
        exceeded = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if exceeded and not response_started:
            await _refuse(send)


async def _refuse(send: Send) -> None:
    body = json.dumps(
        error_body(codes.PAYLOAD_TOO_LARGE, too_large_message(settings.MAX_UPLOAD_SIZE))
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

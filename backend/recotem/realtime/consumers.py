"""Live progress over WebSockets: ``/ws/job/<id>/`` (tuning jobs), ``/ws/model/<id>/``,
and the reference's ``/ws/job/<id>/status/`` and ``/ws/job/<id>/logs/`` in its shapes.

A client authenticates with its JWT access token from the ``recotem-access`` cookie (the
SPA), or with a single-use ``?ticket=`` from ``POST auth/ws-ticket/`` (scripts). The
reference's ``?token=`` still works, but puts the token in URLs proxies may log. The
connection is accepted first so that a refusal can carry a meaningful close code: 4401
for a missing, invalid, expired or spent credential (also sent when the session ends
while connected), 4403 when the user may not see the object. On connect the client
receives recent log lines, then the current status, then everything new.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http.cookie import parse_cookie
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from core.ownership import Requester, visible_to
from realtime.models import TaskLog
from realtime.services import job_group, log_message, model_group, ws_ticket_consume
from training.models import TrainedModel
from training.selectors import trained_model_status_payload
from tuning.models import ParameterTuningJob
from tuning.selectors import tuning_job_status_payload

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
HISTORY_LINES = 500


def _raw_token(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    if query.get("token"):
        return query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie = parse_cookie(value.decode("latin1")).get(settings.JWT_ACCESS_COOKIE)
            if cookie:
                return cookie
    return None


def _credential(scope: dict[str, Any]) -> tuple[Any, float] | None:
    """The user id a valid ticket or access token names, and when its session ends."""
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    if query.get("ticket"):
        return ws_ticket_consume(query["ticket"][0])
    raw = _raw_token(scope)
    if not raw:
        return None
    try:
        token = AccessToken(raw)  # type: ignore[arg-type]
    except TokenError:
        return None
    return token.get(jwt_settings.USER_ID_CLAIM), float(token["exp"])


def authenticate(scope: dict[str, Any]) -> tuple[Any, float] | None:
    """The active user a valid credential names, and when its session ends."""
    credential = _credential(scope)
    if credential is None:
        return None
    user_id, expires_at = credential
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    return user, expires_at


class _ProgressConsumer(AsyncJsonWebsocketConsumer):
    """Streams one object's log lines and status; subclasses say which object, and may
    reshape what is sent (``deliver``) and ping the client (``pings``)."""

    log_filter: str
    group_name = ""
    history_lines = HISTORY_LINES
    pings = False

    def group_for(self, pk: int) -> str:
        raise NotImplementedError

    def status_of(self, user: Any, pk: int) -> dict[str, Any] | None:
        """The current status, or None when ``user`` may not see the object."""
        raise NotImplementedError

    async def connect(self) -> None:
        self._expiry: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None
        self._last_replayed = 0
        await self.accept()
        authenticated = await database_sync_to_async(authenticate)(self.scope)
        if authenticated is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        user, expires_at = authenticated
        pk = int(self.scope["url_route"]["kwargs"]["pk"])
        if await database_sync_to_async(self.status_of)(user, pk) is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group_name = self.group_for(pk)
        # Join before reading history so nothing falls between the two; the live copy
        # of a line already replayed is dropped in job_message.
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        history = await database_sync_to_async(self._history)(pk)
        for message in history:
            await self.deliver(message, replayed=True)
        if history:
            self._last_replayed = history[-1]["id"]
        await self.deliver(await database_sync_to_async(self.status_of)(user, pk), replayed=True)
        self._expiry = asyncio.create_task(self._close_when_expired(expires_at))
        if self.pings:
            self._pinger = asyncio.create_task(self._ping(settings.WEBSOCKET_PING_SECONDS))

    def _history(self, pk: int) -> list[dict[str, Any]]:
        logs = TaskLog.objects.filter(**{self.log_filter: pk}).order_by("-id")
        return [log_message(log) for log in reversed(logs[: self.history_lines])]

    async def deliver(self, message: dict[str, Any], *, replayed: bool = False) -> None:
        """Send one message (a log line or a status) in this path's shape."""
        await self.send_json(message)

    async def _ping(self, every_seconds: float) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            await self.send_json({"type": "ping"})

    async def _close_when_expired(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code: int) -> None:
        for task in (self._expiry, self._pinger):
            if task is not None:
                task.cancel()
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def job_message(self, event: dict[str, Any]) -> None:
        message = event["message"]
        if message.get("type") == "log" and message.get("id", 0) <= self._last_replayed:
            return
        await self.deliver(message)


class JobConsumer(_ProgressConsumer):
    log_filter = "tuning_job_id"

    def group_for(self, pk: int) -> str:
        return job_group(pk)

    def status_of(self, user: Any, pk: int) -> dict[str, Any] | None:
        jobs = visible_to(ParameterTuningJob.objects.all(), Requester(user=user))
        job = jobs.filter(pk=pk).first()
        return None if job is None else tuning_job_status_payload(job=job)


class ModelConsumer(_ProgressConsumer):
    log_filter = "trained_model_id"

    def group_for(self, pk: int) -> str:
        return model_group(pk)

    def status_of(self, user: Any, pk: int) -> dict[str, Any] | None:
        models = visible_to(TrainedModel.objects.all(), Requester(user=user))
        model = models.filter(pk=pk).first()
        return None if model is None else trained_model_status_payload(model=model)


class _ReferenceJobConsumer(JobConsumer):
    """A tuning job on the reference's paths: its message shapes, each numbered with
    ``seq`` (0, 1, ... per connection), and its server ping. Our fields ride along."""

    pings = True
    delivers: str

    async def connect(self) -> None:
        self._seq = 0
        await super().connect()

    async def deliver(self, message: dict[str, Any], *, replayed: bool = False) -> None:
        if message.get("type") != self.delivers:
            return
        shaped = self.shape(message)
        if replayed:
            shaped["buffered"] = True
        shaped["seq"] = self._seq
        self._seq += 1
        await self.send_json(shaped)

    def shape(self, message: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class JobStatusConsumer(_ReferenceJobConsumer):
    """``/ws/job/<id>/status/``: ``status_update`` with the status in lower case and our
    status payload as ``data``."""

    delivers = "status"
    history_lines = 0

    def shape(self, message: dict[str, Any]) -> dict[str, Any]:
        data = {key: value for key, value in message.items() if key != "type"}
        return {"type": "status_update", "status": str(message["status"]).lower(), "data": data}


class JobLogConsumer(_ReferenceJobConsumer):
    """``/ws/job/<id>/logs/``: ``log`` lines with ``message`` and ``timestamp``."""

    delivers = "log"

    def shape(self, message: dict[str, Any]) -> dict[str, Any]:
        return dict(message)

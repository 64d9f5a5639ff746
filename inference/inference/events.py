"""The listener for the backend's model events (``recotem_common.events``, Redis db3).

It survives Redis restarts: on any connection error it reconnects with a capped
exponential backoff, and after a reconnect it calls ``on_reconnect`` so the caller can
re-read whatever events it may have missed meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from recotem_common.events import CHANNEL, MalformedEvent, ModelEvent, decode_event

logger = logging.getLogger(__name__)

BACKOFF_START_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 2.0
# Without traffic a dead connection is noticed by this read timeout at the latest.
POLL_SECONDS = 1.0

EventHandler = Callable[[ModelEvent], Awaitable[None]]


class ModelEventListener:
    def __init__(
        self,
        *,
        redis_url: str,
        on_event: EventHandler,
        on_reconnect: Callable[[], Awaitable[None]],
    ) -> None:
        self._redis_url = redis_url
        self._on_event = on_event
        self._on_reconnect = on_reconnect
        self.connected = asyncio.Event()
        self._subscribed_before = False
        self._handlers: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        backoff = BACKOFF_START_SECONDS
        while True:
            try:
                await self._listen()
            except (RedisError, OSError) as exc:
                if self.connected.is_set():
                    logger.warning("Lost the model event stream, reconnecting: %s", exc)
                    backoff = BACKOFF_START_SECONDS
                self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _listen(self) -> None:
        # No client-side retries: a transparent reconnect would hide the gap in which
        # events were missed, and this loop must know about it to catch up.
        client = aioredis.from_url(
            self._redis_url,
            socket_connect_timeout=BACKOFF_MAX_SECONDS,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(CHANNEL)
                reconnected = self._subscribed_before
                self._subscribed_before = True
                self.connected.set()
                logger.info("Listening for model events on %s", CHANNEL)
                if reconnected:
                    self._spawn(self._on_reconnect())
                while True:
                    message = await pubsub.get_message(timeout=POLL_SECONDS)
                    if message is not None:
                        self._dispatch(message.get("data"))
        finally:
            await client.aclose()

    def _dispatch(self, data: Any) -> None:
        try:
            event = decode_event(data)
        except MalformedEvent as exc:
            logger.warning("Ignoring a malformed model event: %s", exc)
            return
        if event is None:
            logger.debug("Ignoring a model event of an unknown kind: %r", data)
            return
        # Each event runs on its own, so a slow model load never delays a revocation.
        self._spawn(self._on_event(event))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._handlers.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._handlers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("A model event handler failed", exc_info=task.exception())

    async def aclose(self) -> None:
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

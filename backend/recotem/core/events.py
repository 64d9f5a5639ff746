"""Model events: the backend tells the inference service what changed.

Events are JSON objects published on ``settings.MODEL_EVENTS_CHANNEL`` in the Redis
database for model events (db3). They are notifications, not the source of truth: the
inference service re-reads the database when it gets one, so an event that is lost only
delays a change until its caches expire.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import redis
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# A request that publishes must not hang on an unreachable Redis.
REDIS_TIMEOUT_SECONDS = 2.0


@functools.lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


def publish_model_event(payload: dict[str, Any]) -> None:
    """Publish one event now; a Redis failure is logged, never raised."""
    message = json.dumps(payload, default=str)
    try:
        _client(settings.MODEL_EVENTS_REDIS_URL).publish(settings.MODEL_EVENTS_CHANNEL, message)
    except redis.RedisError:
        logger.exception("Could not publish model event %s", payload.get("event"))


def publish_model_event_on_commit(payload: dict[str, Any]) -> None:
    """Publish once the current transaction commits, so listeners never see a
    change that is rolled back or not yet visible to their own queries."""
    transaction.on_commit(lambda: publish_model_event(payload), robust=True)

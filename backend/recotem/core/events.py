"""Publishing model events (``recotem_common.events``) to the inference service.

Events are notifications, not the source of truth: the inference service re-reads the
database when it gets one, so an event that is lost only delays a change until its
caches expire. A Redis failure is therefore logged, never raised into the work that
changed something.
"""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from django.db import transaction

from recotem_common.events import CHANNEL, ModelEvent, encode_event

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


def model_events_redis() -> redis.Redis:
    """The model-event Redis (db3), which also holds the inference service's serving
    figures (``recotem_common.serving``)."""
    return _client(settings.MODEL_EVENTS_REDIS_URL)


def publish_model_event(event: ModelEvent) -> None:
    """Publish one event now."""
    try:
        model_events_redis().publish(CHANNEL, encode_event(event))
    except redis.RedisError:
        logger.exception("Could not publish model event %s", event)


def publish_model_event_on_commit(event: ModelEvent) -> None:
    """Publish once the current transaction commits, so listeners never see a
    change that is rolled back or not yet visible to their own queries."""
    transaction.on_commit(lambda: publish_model_event(event), robust=True)

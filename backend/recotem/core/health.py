"""What ``ping/`` checks: each service the API needs, and how it is doing.

The database is required (nothing answers without it). The cache only speeds things
up (throttles let requests through and API keys are verified against the database
while it is down), and the broker only matters to requests that queue work; either one
down makes the API degraded, not unavailable.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection

# A probe must answer quickly even when a host does not answer at all.
TIMEOUT_SECONDS = 1.0
OK = "ok"
UNREACHABLE = "unreachable"


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return UNREACHABLE
    return OK


def _redis(url: str) -> str:
    try:
        with redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        ) as client:
            client.ping()
    except Exception:
        return UNREACHABLE
    return OK


def dependency_states() -> dict[str, str]:
    return {
        "database": _database(),
        "cache": _redis(settings.CACHE_REDIS_URL),
        "broker": _redis(settings.CELERY_BROKER_URL),
    }

from __future__ import annotations

from recotem.settings.env import env
from recotem_common.redis_urls import (
    BROKER_DB,
    CACHE_DB,
    CHANNELS_DB,
    MODEL_EVENTS_DB,
    redis_url_for_db,
)

REDIS_URL: str = env.str("REDIS_URL", default="")
REDIS_PASSWORD: str = env.str("REDIS_PASSWORD", default="")


def _url(variable: str, db: int) -> str:
    return redis_url_for_db(
        env.str(variable, default="") or None,
        base_url=REDIS_URL or None,
        db=db,
        password=REDIS_PASSWORD or None,
    )


CELERY_BROKER_URL = _url("CELERY_BROKER_URL", BROKER_DB)
CHANNELS_REDIS_URL = _url("CHANNELS_REDIS_URL", CHANNELS_DB)
CACHE_REDIS_URL = _url("CACHE_REDIS_URL", CACHE_DB)
MODEL_EVENTS_REDIS_URL = _url("MODEL_EVENTS_REDIS_URL", MODEL_EVENTS_DB)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        "KEY_PREFIX": "recotem",
    }
}

# channels-redis waits on a blocking pop for up to 5 s; the socket timeout must be longer
# or an idle WebSocket's reader fails with a read timeout.
CHANNELS_SOCKET_TIMEOUT_SECONDS = 30
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {"address": CHANNELS_REDIS_URL, "socket_timeout": CHANNELS_SOCKET_TIMEOUT_SECONDS}
            ]
        },
    }
}

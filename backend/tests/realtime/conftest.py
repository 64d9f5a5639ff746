from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def channel_layer(settings: Any) -> None:
    """The Redis channel layer with a socket read timeout above channels-redis's 5 s
    blocking pop: with redis-py's default of exactly 5 s, an idle consumer's receive
    intermittently fails with "Timeout reading from ..." (the settings need the same)."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": settings.CHANNELS_REDIS_URL, "socket_timeout": 30}]},
        }
    }

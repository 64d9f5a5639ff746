"""Per-key rate limits with slowapi, shared by every worker and replica through Redis.

slowapi (and the ``limits`` library under it) decide what a limit means: the fixed
window, the key (the verified API key's id), the ``RateLimitExceeded`` error. What this
module changes is where the counts live. The stock Redis storage makes one blocking
round trip per request, which on a busy worker costs more than scoring a user; the
``SharedCounterStorage`` below counts in memory and merges its counts with Redis every
``sync_seconds`` in one pipelined round trip for all keys. A worker enforces its own
hits at once and sees the other workers' hits within ``sync_seconds``; a key can
therefore exceed its limit by what other workers accepted during one sync interval.
When Redis is unreachable each worker keeps enforcing the limit on its own.

Requests are counted through the ``limits`` strategy slowapi's ``Limiter`` builds, with
the application limits it would apply and the same counter keys. slowapi's own
per-request entry point also introspects the key function's signature for every
limit, which costs ten times the count itself.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import redis
from limits import parse_many
from limits.storage import Storage
from slowapi import Limiter
from starlette.requests import Request

from inference.errors import Throttled

logger = logging.getLogger(__name__)

KEY_PREFIX = "recotem:ratelimit"
REDIS_TIMEOUT_SECONDS = 0.5
# ``recotem+`` before a Redis URL selects the storage below.
SCHEME_PREFIX = "recotem+"
# Adds this worker's hits to the shared count, starting the window's expiry when the
# key is new, and reports the count and the time left in the window.
_MERGE_SCRIPT = """
local added = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], added)
if current == added and added > 0 then
    redis.call("expire", KEYS[1], ARGV[1])
end
if current == 0 then
    redis.call("del", KEYS[1])
end
return {current, redis.call("pttl", KEYS[1])}
"""


@dataclass
class _Counter:
    shared: int
    pending: int
    expires_at: float


class SharedCounterStorage(Storage):
    """A ``limits`` storage: local counters merged into Redis in the background."""

    STORAGE_SCHEME = [f"{SCHEME_PREFIX}{scheme}" for scheme in ("redis", "rediss", "unix")]

    def __init__(
        self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._redis_url = uri.removeprefix(SCHEME_PREFIX)
        self._counters: dict[str, _Counter] = {}
        self._healthy = True

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return redis.RedisError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        counter = self._live(key)
        if counter is None:
            counter = _Counter(shared=0, pending=0, expires_at=time.time() + expiry)
            self._counters[key] = counter
        counter.pending += amount
        return counter.shared + counter.pending

    def get(self, key: str) -> int:
        counter = self._live(key)
        return 0 if counter is None else counter.shared + counter.pending

    def get_expiry(self, key: str) -> float:
        counter = self._live(key)
        return time.time() if counter is None else counter.expires_at

    def check(self) -> bool:
        return self._healthy

    def reset(self) -> int | None:
        cleared = len(self._counters)
        self._counters.clear()
        return cleared

    def clear(self, key: str) -> None:
        self._counters.pop(key, None)

    def _live(self, key: str) -> _Counter | None:
        counter = self._counters.get(key)
        if counter is not None and counter.expires_at <= time.time():
            del self._counters[key]
            return None
        return counter

    def _outgoing(self) -> list[tuple[str, int, int]]:
        """(key, hits to add, seconds left in the window) for every live counter."""
        now = time.time()
        return [
            (key, counter.pending, max(1, math.ceil(counter.expires_at - now)))
            for key, counter in list(self._counters.items())
            if counter.expires_at > now
        ]

    def _apply(self, sent: list[tuple[str, int, int]], replies: list[Any]) -> None:
        now = time.time()
        for (key, added, _), (current, ttl_ms) in zip(sent, replies, strict=True):
            counter = self._counters.get(key)
            if counter is None:
                continue
            counter.pending -= added
            counter.shared = int(current)
            if int(ttl_ms) > 0:
                counter.expires_at = now + int(ttl_ms) / 1000

    async def run(self, sync_seconds: float) -> None:
        """Merge with Redis every ``sync_seconds``, in one pipelined round trip.

        The round trip runs in a thread with the synchronous client: cancelling
        redis-py's asyncio client in the middle of a pipeline at shutdown can leave
        it waiting for ever. Counters are only touched here, on the event loop.
        """
        client = redis.Redis.from_url(
            self._redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            while True:
                await asyncio.sleep(sync_seconds)
                outgoing = self._outgoing()
                if not outgoing:
                    continue
                try:
                    replies = await asyncio.to_thread(_exchange, client, outgoing)
                except (redis.RedisError, OSError) as exc:
                    if self._healthy:
                        logger.warning("Rate limits are per worker until Redis is back: %s", exc)
                    self._healthy = False
                    continue
                self._apply(outgoing, replies)
                if not self._healthy:
                    logger.info("Rate limits are shared through Redis again")
                self._healthy = True
        finally:
            client.close()


def _exchange(client: redis.Redis, outgoing: list[tuple[str, int, int]]) -> list[Any]:
    with client.pipeline(transaction=False) as pipe:
        for key, added, window in outgoing:
            pipe.eval(_MERGE_SCRIPT, 1, f"{KEY_PREFIX}:{key}", window, added)
        return pipe.execute()


# slowapi's scope for application-wide limits, part of every counter's key.
_SCOPE = "global"


def _key_from_check(request: Request) -> str:
    # Only slowapi's middleware and decorators, which this service does not use, call
    # the key function: ``RateLimiter.check`` is given the verified key instead.
    raise NotImplementedError


class RateLimiter:
    def __init__(self, *, rate: str, redis_url: str, sync_seconds: float) -> None:
        self.rate = rate
        self._sync_seconds = sync_seconds
        limiter = Limiter(
            key_func=_key_from_check,
            application_limits=[rate],
            storage_uri=f"{SCHEME_PREFIX}{redis_url}",
            strategy="fixed-window",
        )
        self._strategy = limiter.limiter
        self._limits = parse_many(rate)
        # slowapi builds the storage from the URI; the sync loop needs that instance.
        storage = limiter._storage
        assert isinstance(storage, SharedCounterStorage)
        self._storage = storage

    async def run(self) -> None:
        await self._storage.run(self._sync_seconds)

    def check(self, *, api_key_id: int) -> None:
        """Count one request of the key; raise 429 when it is over a limit."""
        bucket = f"api_key:{api_key_id}"
        for limit in self._limits:
            if not self._strategy.hit(limit, bucket, _SCOPE):
                raise self._throttled(limit, bucket, "for this API key")

    def refuse_if_spent(self, *buckets: str, what: str) -> None:
        """Raise 429 when any of ``buckets`` has used up a limit, without counting."""
        for bucket in buckets:
            for limit in self._limits:
                if not self._strategy.test(limit, bucket, _SCOPE):
                    raise self._throttled(limit, bucket, what)

    def count(self, *buckets: str) -> None:
        for bucket in buckets:
            for limit in self._limits:
                self._strategy.hit(limit, bucket, _SCOPE)

    def _throttled(self, limit: Any, bucket: str, what: str) -> Throttled:
        window = self._strategy.get_window_stats(limit, bucket, _SCOPE)
        retry_after = max(1, math.ceil(window.reset_time - time.time()))
        return Throttled(
            f"Rate limit of {limit} exceeded {what}; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )

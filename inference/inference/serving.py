"""Serving figures: this worker's counts, added to the shared ones in Redis every second.

A request only touches a dictionary in memory (``record``); ``flush`` sends what piled up
since the last one as HINCRBYs in one pipeline, so every worker's counts land in the same
per-minute hashes (layout in ``recotem_common.serving``). While Redis is unreachable the
counts stay here, at most the retention window's worth, and are added on a later flush.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from typing import Any

import redis.asyncio as aioredis
from starlette.types import Scope

from recotem_common import serving

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
# What the middleware reads from the request's state (set once the key is verified).
PROJECT_STATE = "serving_project"
MODEL_STATE = "serving_model"
SLOT_STATE = "serving_slot"


# (project, minute) -> answer -> count
Pending = dict[tuple[int, int], dict[serving.Answer, int]]


def attribute(scope: Scope, name: str, value: int) -> None:
    """Name the project, slot or model a request's answer counts for."""
    scope.setdefault("state", {})[name] = value


class ServingRecorder:
    def __init__(self, *, redis: aioredis.Redis, flush_seconds: float = FLUSH_SECONDS) -> None:
        self._redis = redis
        self._flush_seconds = flush_seconds
        # (project, minute) -> field -> count
        self._pending: Pending = defaultdict(lambda: defaultdict(int))
        self._lock = asyncio.Lock()
        self.started_at = time.time()
        # Unique per app, so two apps in one process (tests) count as two workers.
        self._instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def record(
        self,
        *,
        project_id: int,
        slot_id: int | None,
        model_id: int | None,
        status: int,
        error_code: str | None,
        elapsed_seconds: float,
    ) -> None:
        # Only a tuple and a dictionary increment here; the hash fields are spelled
        # out once per flush.
        answer = (slot_id, model_id, status, error_code, serving.bucket_of(elapsed_seconds * 1000))
        self._pending[project_id, serving.minute_of(time.time())][answer] += 1

    @property
    def pending(self) -> int:
        """Requests counted here and not yet added in Redis."""
        return sum(sum(answers.values()) for answers in self._pending.values())

    async def flush(self) -> None:
        async with self._lock:
            pending, self._pending = self._pending, defaultdict(lambda: defaultdict(int))
            now = time.time()
            pipe = self._redis.pipeline(transaction=False)
            for (project_id, minute), answers in pending.items():
                serving.add_counts(pipe, project_id, minute, serving.answer_counts(answers))
            pipe.hset(serving.INSTANCES_KEY, self._instance, f"{self.started_at}:{now}")
            try:
                await pipe.execute()
            except Exception:
                self._put_back(pending, now)
                logger.warning("Could not store serving figures", exc_info=True)

    def _put_back(self, pending: Pending, now: float) -> None:
        oldest = serving.minute_of(now - serving.RETENTION_SECONDS)
        for (project_id, minute), answers in pending.items():
            if minute < oldest:
                continue
            target = self._pending[project_id, minute]
            for answer, count in answers.items():
                target[answer] += count

    async def read(self, project_id: int, *, minutes: int) -> dict[str, Any]:
        now = time.time()
        pipe = self._redis.pipeline(transaction=False)
        for key in serving.keys_to_read(project_id, now=now, minutes=minutes):
            pipe.hgetall(key)
        return serving.report(project_id, await pipe.execute(), now=now, minutes=minutes)

    async def forget_gone_workers(self) -> None:
        """Drop the entries of workers that stopped flushing long ago (restarts)."""
        instances = await self._redis.hgetall(serving.INSTANCES_KEY)
        gone = serving.stale_instances(instances, time.time())
        if gone:
            await self._redis.hdel(serving.INSTANCES_KEY, *gone)

    async def run(self) -> None:
        try:
            await self.forget_gone_workers()
        except Exception:
            logger.warning("Could not tidy the serving figures' worker list", exc_info=True)
        while True:
            await asyncio.sleep(self._flush_seconds)
            # Shutdown cancels this loop; the final flush waits for this one.
            await asyncio.shield(self.flush())

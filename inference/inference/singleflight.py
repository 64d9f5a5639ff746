"""Concurrent callers asking for the same work share one run of it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._tasks: dict[K, asyncio.Task[V]] = {}

    async def run(self, key: K, start: Callable[[], Coroutine[Any, Any, V]]) -> V:
        """Join the run under way for ``key``, or start one."""
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.create_task(start())
            self._tasks[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        # A caller that goes away (client disconnect) must not cancel the shared work.
        return await asyncio.shield(task)

    async def run_fresh(self, key: K, start: Callable[[], Coroutine[Any, Any, V]]) -> V:
        """Like ``run``, but only joins work that starts after this call: a run already
        under way may have read the state that the caller knows has changed."""
        task = self._tasks.get(key)
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
        return await self.run(key, start)

    def _forget(self, key: K, task: asyncio.Task[V]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

"""A/B routing of a project's traffic over its deployment slots.

Each user lands at a fixed point in [0, 1) derived from a hash of the project and user
ids, and the slots' weights cut that interval into arms; so a user keeps seeing the same
arm while the weights stay the same, and a share of users proportional to each weight
lands in each arm. Tables are cached per project and rebuilt on ``slots_changed`` or
``model_trained`` events, and every ``refresh_seconds`` in case an event was lost.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inference import selectors
from inference.errors import ServiceUnavailable
from inference.selectors import SlotRecord
from inference.singleflight import SingleFlight

logger = logging.getLogger(__name__)
_HASH_SPACE = float(2**64)


def sticky_point(project_id: int, user_id: str) -> float:
    """Where a user falls in [0, 1) for a project; uniform over users."""
    digest = hashlib.blake2b(f"{project_id}:{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _HASH_SPACE


@dataclass(frozen=True)
class RoutingTable:
    project_id: int
    arms: tuple[SlotRecord, ...]
    bounds: tuple[float, ...]
    fetched_at: float

    @classmethod
    def build(cls, project_id: int, arms: Sequence[SlotRecord], fetched_at: float) -> RoutingTable:
        bounds = tuple(itertools.accumulate(max(arm.weight, 0.0) for arm in arms))
        return cls(
            project_id=project_id,
            arms=tuple(arms),
            bounds=bounds,
            fetched_at=fetched_at,
        )

    @property
    def total_weight(self) -> float:
        return self.bounds[-1] if self.bounds else 0.0

    def choose(self, user_id: str) -> SlotRecord:
        if not self.arms:
            raise ServiceUnavailable(
                f"Project {self.project_id} has no active deployment slot; "
                "deploy a trained model to a slot first."
            )
        total = self.total_weight
        if total <= 0:
            raise ServiceUnavailable(
                f"Every active deployment slot of project {self.project_id} has "
                "weight 0; give at least one slot a positive weight to serve traffic."
            )
        point = sticky_point(self.project_id, user_id) * total
        # bisect_right skips zero-weight arms, whose bound equals the previous one.
        index = bisect.bisect_right(self.bounds, point)
        return self.arms[min(index, len(self.arms) - 1)]


class SlotRouter:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        refresh_seconds: float,
        warm_up: Callable[[int, Sequence[SlotRecord]], Awaitable[None]],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._refresh_seconds = refresh_seconds
        self._warm_up = warm_up
        self._tables: dict[int, RoutingTable] = {}
        self._refreshing: SingleFlight[int, RoutingTable] = SingleFlight()

    def known_projects(self) -> list[int]:
        return list(self._tables)

    async def table(self, project_id: int) -> RoutingTable:
        table = self._tables.get(project_id)
        if table is not None and time.monotonic() - table.fetched_at < self._refresh_seconds:
            return table
        try:
            return await self._refreshing.run(project_id, lambda: self._refresh(project_id))
        except Exception:
            if table is None:
                raise
            # A database hiccup keeps the last routing rather than failing requests,
            # and the next attempt waits a full interval instead of every request
            # trying again.
            logger.warning("Keeping stale routing for project %s", project_id, exc_info=True)
            self._tables[project_id] = dataclasses.replace(table, fetched_at=time.monotonic())
            return table

    async def refresh(self, project_id: int) -> RoutingTable:
        """Re-read the project's arms, load their models, then switch traffic to them.

        Called after a change was announced, so it never joins a read that started
        before the change.
        """
        return await self._refreshing.run_fresh(project_id, lambda: self._refresh(project_id))

    async def _refresh(self, project_id: int) -> RoutingTable:
        async with self._sessionmaker() as session:
            arms = await selectors.project_arms(session, project_id=project_id)
        # Loading first means the switch never sends a request to a cold model.
        await self._warm_up(project_id, arms)
        table = RoutingTable.build(project_id, arms, time.monotonic())
        previous = self._tables.get(project_id)
        self._tables[project_id] = table
        if previous is None or previous.arms != table.arms:
            logger.info(
                "Routing for project %s: %s",
                project_id,
                ", ".join(f"{a.name}(model {a.model_id}, weight {a.weight:g})" for a in arms)
                or "no active slot",
            )
        return table

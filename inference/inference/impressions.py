"""Impressions: what was shown to whom, stored in batches so requests never wait on it.

Conversions refer to an impression by its ``request_id``. Rows are buffered in memory
and written with one multi-row INSERT every ``flush_seconds`` and on shutdown.
While the database is unreachable rows stay buffered, up to ``buffer_limit``; beyond
that the oldest are dropped and counted. A row the database refuses for itself (its
project deleted meanwhile, a value it cannot store) is left out and counted, and the
rest of its batch is stored: one bad row never holds back the others.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inference.metrics import Metrics
from inference.tables import Base, Impression

logger = logging.getLogger(__name__)
_TABLE = Base.metadata.tables[Impression.__tablename__]
# The database itself is out of reach: every row is kept for the next flush.
_UNREACHABLE = (OperationalError, InterfaceError)


class ImpressionRecorder:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        flush_seconds: float,
        buffer_limit: int,
        metrics: Metrics,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._flush_seconds = flush_seconds
        self._buffer_limit = buffer_limit
        self._metrics = metrics
        self._buffer: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()

    def record(
        self,
        *,
        request_id: uuid.UUID,
        project_id: int,
        slot_id: int | None,
        model_id: int,
        user_id: str,
        item_ids: list[str],
    ) -> None:
        self._buffer.append(
            {
                "request_id": request_id,
                "project_id": project_id,
                "deployment_slot_id": slot_id,
                "trained_model_id": model_id,
                "user_id": user_id,
                "item_ids": item_ids,
                "timestamp": datetime.now(UTC),
            }
        )
        overflow = len(self._buffer) - self._buffer_limit
        if overflow > 0:
            del self._buffer[:overflow]
            self._metrics.impressions_dropped.inc(overflow)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    async def flush(self) -> None:
        async with self._lock:
            rows, self._buffer = self._buffer, []
            if not rows:
                return
            try:
                await self._insert(rows)
            except _UNREACHABLE:
                self._put_back(rows)
                return
            except Exception:
                # Some row the database refuses: store the others one by one.
                await self._insert_each(rows)
                return
            self._metrics.impressions_written.inc(len(rows))

    def _put_back(self, rows: list[dict[str, Any]]) -> None:
        # In front of what arrived meanwhile, to be tried again on the next flush.
        self._buffer[:0] = rows
        logger.warning("Could not store %d impressions", len(rows), exc_info=True)

    async def _insert(self, rows: list[dict[str, Any]]) -> None:
        async with self._sessionmaker() as session, session.begin():
            # A Core insert: one executemany, without the ORM's per-row bookkeeping.
            await session.execute(insert(_TABLE), rows)

    async def _insert_each(self, rows: list[dict[str, Any]]) -> None:
        written = 0
        for index, row in enumerate(rows):
            try:
                await self._insert([row])
            except _UNREACHABLE:
                self._put_back(rows[index:])
                break
            except Exception as exc:
                self._metrics.impressions_rejected.inc()
                logger.warning(
                    "Impression %s refused by the database and left out: %s",
                    row["request_id"],
                    getattr(exc, "orig", None) or exc,
                )
                continue
            written += 1
        self._metrics.impressions_written.inc(written)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            # Shutdown cancels this loop; an INSERT cut off half way could leave
            # SQLite's write lock with a connection nobody closes. The shutdown flush
            # waits for this one through the lock instead.
            await asyncio.shield(self.flush())

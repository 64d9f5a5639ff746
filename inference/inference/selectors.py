"""Database reads. Each returns plain frozen values, never live ORM objects, so results
can be cached and shared between requests."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from inference.tables import (
    ABTest,
    ApiKey,
    DeploymentSlot,
    ModelConfiguration,
    TrainedModel,
    User,
)
from recotem_common.api_keys import api_key_refusal
from recotem_common.routing import routed_slot_ids

COMPLETED = "COMPLETED"
AB_TEST_RUNNING = "RUNNING"


@dataclass(frozen=True)
class KeyState:
    api_key_id: int
    project_id: int
    scopes: frozenset[str]
    refusal: str | None


@dataclass(frozen=True)
class KeyCandidate:
    hashed_key: str
    lookup_digest: str
    state: KeyState


@dataclass(frozen=True)
class ModelRecord:
    model_id: int
    project_id: int
    file: str
    status: str
    version_tag: str
    algorithm: str


@dataclass(frozen=True)
class SlotRecord:
    slot_id: int
    name: str
    model_id: int
    weight: float


_KEY_COLUMNS = (
    ApiKey.id,
    ApiKey.project_id,
    ApiKey.scopes,
    ApiKey.is_active,
    ApiKey.revoked_at,
    ApiKey.expires_at,
    User.is_active.label("owner_active"),
)


def _key_state(row: Any, now: datetime) -> KeyState:
    return KeyState(
        api_key_id=row.id,
        project_id=row.project_id,
        scopes=frozenset(row.scopes or ()),
        refusal=api_key_refusal(
            revoked_at=row.revoked_at,
            is_active=row.is_active,
            expires_at=row.expires_at,
            owner_is_active=row.owner_active,
            now=now,
        ),
    )


async def api_key_candidates(session: AsyncSession, *, prefix: str) -> list[KeyCandidate]:
    """Keys with the presented lookup prefix; the hash tells which one it is, if any."""
    now = datetime.now(UTC)
    rows = await session.execute(
        select(ApiKey.hashed_key, ApiKey.lookup_digest, *_KEY_COLUMNS)
        .join(User, User.id == ApiKey.owner_id)
        .where(ApiKey.key_prefix == prefix)
    )
    return [
        KeyCandidate(
            hashed_key=row.hashed_key, lookup_digest=row.lookup_digest, state=_key_state(row, now)
        )
        for row in rows
    ]


async def api_key_states(
    session: AsyncSession, *, api_key_ids: Collection[int]
) -> dict[int, KeyState]:
    """Current state of the given keys; deleted keys are simply absent."""
    now = datetime.now(UTC)
    rows = await session.execute(
        select(*_KEY_COLUMNS)
        .join(User, User.id == ApiKey.owner_id)
        .where(ApiKey.id.in_(list(api_key_ids)))
    )
    states = (_key_state(row, now) for row in rows)
    return {state.api_key_id: state for state in states}


async def trained_model_record(session: AsyncSession, *, model_id: int) -> ModelRecord | None:
    """A model that has a file to serve, or None."""
    row = (
        await session.execute(
            select(
                TrainedModel.id,
                ModelConfiguration.project_id,
                TrainedModel.file,
                TrainedModel.status,
                TrainedModel.version_tag,
                ModelConfiguration.recommender_class_name,
            )
            .join(
                ModelConfiguration,
                ModelConfiguration.id == TrainedModel.configuration_id,
            )
            .where(TrainedModel.id == model_id)
        )
    ).first()
    if row is None or row.status != COMPLETED or not row.file:
        return None
    return ModelRecord(
        model_id=row.id,
        project_id=row.project_id,
        file=row.file,
        status=row.status,
        version_tag=row.version_tag or "",
        algorithm=row.recommender_class_name,
    )


async def deployed_model_ids(session: AsyncSession) -> set[int]:
    rows = await session.scalars(
        select(DeploymentSlot.trained_model_id).where(DeploymentSlot.is_active.is_(True))
    )
    return set(rows)


async def model_is_deployed(session: AsyncSession, *, model_id: int) -> bool:
    found = await session.scalar(
        select(DeploymentSlot.id)
        .where(DeploymentSlot.trained_model_id == model_id)
        .where(DeploymentSlot.is_active.is_(True))
        .limit(1)
    )
    return found is not None


async def projects_with_active_slots(session: AsyncSession) -> set[int]:
    rows = await session.scalars(
        select(DeploymentSlot.project_id).where(DeploymentSlot.is_active.is_(True)).distinct()
    )
    return set(rows)


async def project_arms(session: AsyncSession, *, project_id: int) -> list[SlotRecord]:
    """The slots that share a project's traffic, by ``recotem_common.routing``."""
    tests = await session.execute(
        select(ABTest.control_slot_id, ABTest.variant_slot_id)
        .where(ABTest.project_id == project_id, ABTest.status == AB_TEST_RUNNING)
        .order_by(ABTest.id)
    )
    rows = await session.execute(
        select(
            DeploymentSlot.id,
            DeploymentSlot.name,
            DeploymentSlot.trained_model_id,
            DeploymentSlot.weight,
        )
        .where(DeploymentSlot.project_id == project_id, DeploymentSlot.is_active.is_(True))
        .order_by(DeploymentSlot.id)
    )
    slots = {
        r.id: SlotRecord(slot_id=r.id, name=r.name, model_id=r.trained_model_id, weight=r.weight)
        for r in rows
    }
    arms = [(control, variant) for control, variant in tests]
    return [slots[slot_id] for slot_id in routed_slot_ids(list(slots), arms)]


async def database_ping(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))

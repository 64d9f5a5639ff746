"""Health and Prometheus metrics; both answer without a key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from inference import selectors
from inference.deps import RuntimeDep, SessionDep
from inference.schemas import (
    CacheState,
    DependencyCheck,
    FailedModel,
    Health,
    ModelHealth,
)

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 1.0


async def _check(probe: Awaitable[object]) -> DependencyCheck:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await probe
    except Exception as exc:
        # Name the kind of failure only: this endpoint is public.
        return DependencyCheck(ok=False, error=f"unreachable ({type(exc).__name__})")
    return DependencyCheck(ok=True)


@router.get("/health", responses={503: {"model": Health}})
async def health(runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """Database, Redis, the event stream and the models: 503 when a dependency is down,
    "degraded" when a model failed to load."""
    database = await _check(selectors.database_ping(session))
    redis = await _check(runtime.redis.ping())
    events = DependencyCheck(
        ok=runtime.listener.connected.is_set(),
        error=None if runtime.listener.connected.is_set() else "not subscribed",
    )
    models = runtime.models
    failed = [
        FailedModel(
            model_id=failure.record.model_id,
            version_tag=failure.record.version_tag,
            reason=failure.reason,
            failed_at=failure.failed_at,
        )
        for failure in models.failures.values()
    ]
    up = database.ok and redis.ok
    body = Health(
        status="unavailable" if not up else "degraded" if failed or not events.ok else "ok",
        loaded_models=len(models.loaded()),
        database=database,
        redis=redis,
        model_events=events,
        models=[
            ModelHealth(
                model_id=model.model_id,
                version_tag=model.record.version_tag,
                algorithm=model.artifact.algorithm or model.record.algorithm,
                loaded_at=model.loaded_at,
                load_seconds=model.load_seconds,
            )
            for model in models.loaded()
        ],
        failed_models=failed,
        cache=CacheState(
            models=len(models.loaded()),
            bytes=models.total_bytes,
            max_models=models.max_models,
            max_bytes=models.max_bytes,
        ),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if up else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(runtime: RuntimeDep) -> Response:
    content, media_type = runtime.metrics.render()
    return Response(content, media_type=media_type)

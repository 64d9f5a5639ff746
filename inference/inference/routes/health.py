"""Liveness, health and Prometheus metrics.

The anonymous answers carry no tenant data: ``/health`` names its dependencies and a
model count; which models are loaded or failed, with their version tags and the reasons
(which can name storage paths), needs a key (its project only) or the metrics token
(every project). ``/metrics`` needs the metrics token and is off without one.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from inference import selectors
from inference.deps import API_KEY_HEADER, LISTING_KEY, RuntimeDep, SessionDep, runtime_of
from inference.errors import AuthenticationFailed, NotFound
from inference.runtime import Runtime
from inference.schemas import (
    CacheState,
    DependencyCheck,
    FailedModel,
    Health,
    ModelHealth,
)

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 1.0
logger = logging.getLogger(__name__)
EVERY_PROJECT = -1
_DETAILS = {"models", "failed_models", "cache"}


async def _check(name: str, probe: Awaitable[object]) -> DependencyCheck:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await probe
    except Exception as exc:
        # The log says why, for the operator; the answer names the kind of failure only,
        # since this endpoint is public.
        logger.warning("health check: %s unreachable: %r", name, exc)
        return DependencyCheck(ok=False, error=f"unreachable ({type(exc).__name__})")
    return DependencyCheck(ok=True)


def _bearer_is_metrics_token(request: Request, runtime: Runtime) -> bool:
    token = runtime.settings.metrics_token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), token.encode())
    )


async def _detail_scope(request: Request, runtime: Runtime) -> int | None:
    """The project whose details the caller may see, ``EVERY_PROJECT``, or None."""
    if _bearer_is_metrics_token(request, runtime):
        return EVERY_PROJECT
    raw_key = request.headers.get(API_KEY_HEADER)
    if not raw_key:
        return None
    key = await LISTING_KEY(request)
    return key.project_id


@router.get("/livez", include_in_schema=False)
async def livez() -> dict[str, str]:
    """The process serves; no dependency is checked (startup and liveness probes)."""
    return {"status": "ok"}


@router.get(
    "/health",
    responses={503: {"model": Health}},
    # The key is optional: without one the answer leaves out the model details.
    openapi_extra={"security": [{}, {"APIKeyHeader": []}]},
)
async def health(request: Request, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """Database, Redis, the event stream and the models: 503 when a dependency is down,
    "degraded" when a model failed to load. Model details need an `X-API-Key` (its
    project's models) or the metrics token."""
    scope = await _detail_scope(request, runtime)
    database = await _check("database", selectors.database_ping(session))
    redis = await _check("redis", runtime.redis.ping())
    events = DependencyCheck(
        ok=runtime.listener.connected.is_set(),
        error=None if runtime.listener.connected.is_set() else "not subscribed",
    )
    models = runtime.models
    up = database.ok and redis.ok
    degraded = bool(models.failures) or not events.ok
    body = Health(
        status="unavailable" if not up else "degraded" if degraded else "ok",
        loaded_models=len(models.loaded()),
        database=database,
        redis=redis,
        model_events=events,
    )
    if scope is not None:

        def visible(project_id: int) -> bool:
            return scope in (EVERY_PROJECT, project_id)

        loaded = [model for model in models.loaded() if visible(model.project_id)]
        body.models = [
            ModelHealth(
                model_id=model.model_id,
                version_tag=model.record.version_tag,
                algorithm=model.artifact.algorithm or model.record.algorithm,
                loaded_at=model.loaded_at,
                load_seconds=model.load_seconds,
            )
            for model in loaded
        ]
        body.failed_models = [
            FailedModel(
                model_id=failure.record.model_id,
                version_tag=failure.record.version_tag,
                reason=failure.reason,
                failed_at=failure.failed_at,
            )
            for failure in models.failures.values()
            if visible(failure.record.project_id)
        ]
        body.cache = CacheState(
            models=len(models.loaded()),
            bytes=models.total_bytes,
            max_models=models.max_models,
            max_bytes=models.max_bytes,
        )
    return JSONResponse(
        body.model_dump(mode="json", exclude=_DETAILS if scope is None else None),
        status_code=200 if up else 503,
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime = runtime_of(request)
    if not runtime.settings.metrics_token:
        raise NotFound(
            "Prometheus metrics are off: set INFERENCE_METRICS_TOKEN and scrape with "
            "'Authorization: Bearer <token>'."
        )
    if not _bearer_is_metrics_token(request, runtime):
        raise AuthenticationFailed(
            "/metrics needs 'Authorization: Bearer <INFERENCE_METRICS_TOKEN>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    content, media_type = runtime.metrics.render()
    return Response(content, media_type=media_type)

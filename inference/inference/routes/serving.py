"""The serving figures of the key's project (seed 003's metrics JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from inference.deps import ListingKeyDep, RuntimeDep
from inference.schemas import ServingFigures
from recotem_common.serving import MAX_MINUTES

router = APIRouter(tags=["serving"])


@router.get("/serving", response_model=ServingFigures)
async def serving_figures(
    key: ListingKeyDep,
    runtime: RuntimeDep,
    minutes: Annotated[
        int, Query(ge=1, le=MAX_MINUTES, description="How many minutes back, this one included.")
    ] = 60,
) -> JSONResponse:
    """Requests, successes, errors by status and code, and p50/p99 latency of the key's
    project over the last ``minutes``, per slot (per minute) and per model, counted by
    every worker of the service; and the service's uptime."""
    return JSONResponse(await runtime.serving.read(key.project_id, minutes=minutes))

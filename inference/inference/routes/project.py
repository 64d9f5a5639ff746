"""Recommendations for a project, routed over its deployment slots (A/B tests)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from inference import recommend
from inference.deps import ApiKeyDep, RuntimeDep
from inference.errors import NotFound
from inference.routes.common import ProjectId
from inference.schemas import PredictRequest, ProjectRecommendation

router = APIRouter(prefix="/predict/project", tags=["predict"])


@router.post("/{project_id}")
async def predict_for_project(
    project_id: ProjectId, body: PredictRequest, key: ApiKeyDep, runtime: RuntimeDep
) -> ProjectRecommendation:
    """Top items for a user from the slot the user is routed to (sticky per user)."""
    if key.project_id != project_id:
        raise NotFound(
            f"Project {project_id} does not exist or is not this API key's project."
        )
    recommend.check_cutoff(body.cutoff, runtime.settings)
    table = await runtime.router.table(project_id)
    slot = table.choose(body.user_id)
    model = await runtime.model(model_id=slot.model_id, project_id=project_id)
    items, fallback = await recommend.for_user(
        model, body, batcher=runtime.batcher, metrics=runtime.metrics
    )
    request_id = uuid.uuid4()
    runtime.impressions.record(
        request_id=request_id,
        project_id=project_id,
        slot_id=slot.slot_id,
        model_id=model.model_id,
        user_id=body.user_id,
        item_ids=[item.item_id for item in items],
    )
    return ProjectRecommendation(
        model_id=model.model_id,
        slot_id=slot.slot_id,
        slot_name=slot.name,
        user_id=body.user_id,
        items=items,
        request_id=request_id,
        fallback=fallback,
    )

"""Recommendations for a project, routed over its deployment slots (A/B tests).

This route reads its path id, key and body itself (see ``inference.parsing``).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from inference import recommend
from inference.deps import PREDICT_KEY, runtime_of
from inference.errors import NotFound
from inference.parsing import described, path_id, read_body
from inference.responses import JsonResponse, scored_items
from inference.routes.common import PROJECT_ID
from inference.schemas import PredictRequest, ProjectRecommendation

router = APIRouter(prefix="/predict/project", tags=["predict"])


@router.post(
    "/{project_id}",
    response_model=ProjectRecommendation,
    openapi_extra=described(body=PredictRequest, path={"project_id": PROJECT_ID}),
)
async def predict_for_project(request: Request) -> JsonResponse:
    """Top items for a user from the slot the user is routed to (sticky per user)."""
    key = await PREDICT_KEY(request)
    project_id = path_id(request, "project_id")
    runtime = runtime_of(request)
    if key.project_id != project_id:
        raise NotFound(
            f"Project {project_id} does not exist or is not this API key's project."
        )
    body = await read_body(request, PredictRequest)
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
        item_ids=[item for item, _ in items],
    )
    return JsonResponse(
        {
            "model_id": model.model_id,
            "user_id": body.user_id,
            "items": scored_items(items),
            "request_id": request_id,
            "fallback": fallback,
            "slot_id": slot.slot_id,
            "slot_name": slot.name,
        }
    )

"""Recommendations for a project, routed over its deployment slots (A/B tests).

This route gets the verified key from its route class and reads its path id and body
itself (see ``inference.parsing``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from inference import recommend
from inference.deps import runtime_of
from inference.errors import NotFound
from inference.parsing import KeyedRoute, described, path_id, read_body
from inference.responses import JsonResponse
from inference.routes.common import PROJECT_ID, recommend_recorded
from inference.schemas import PredictRequest, ProjectRecommendation
from inference.selectors import KeyState
from inference.serving import MODEL_STATE, SLOT_STATE, attribute

router = APIRouter(prefix="/predict/project", tags=["predict"], route_class=KeyedRoute)


@router.post(
    "/{project_id}",
    response_model=ProjectRecommendation,
    openapi_extra=described(body=PredictRequest, path={"project_id": PROJECT_ID}),
)
async def predict_for_project(request: Request, key: KeyState) -> JsonResponse:
    """Top items for a user from the slot the user is routed to (sticky per user)."""
    project_id = path_id(request, "project_id")
    runtime = runtime_of(request)
    if key.project_id != project_id:
        raise NotFound(f"Project {project_id} does not exist or is not this API key's project.")
    body = await read_body(request, PredictRequest)
    recommend.check_cutoff(body.cutoff, runtime.settings)
    table = await runtime.router.table(project_id)
    slot = table.choose(body.user_id)
    attribute(request.scope, SLOT_STATE, slot.slot_id)
    model = await runtime.model(model_id=slot.model_id, project_id=project_id)
    attribute(request.scope, MODEL_STATE, model.model_id)
    model.catalogue.check_fields(body.fields)
    return JsonResponse(await recommend_recorded(runtime, model, body, slot=slot))

"""Recommendations from one model: for a user, a batch of users, or a profile.

These routes get the verified key from their route class and read their path id and
body themselves (see ``inference.parsing``).
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import APIRouter, Request

from inference import recommend
from inference.deps import runtime_of
from inference.model_cache import LoadedModel
from inference.parsing import KeyedRoute, described, path_id, read_body
from inference.responses import JsonResponse, scored_items
from inference.routes.common import MODEL_ID, recommend_recorded, record_impression
from inference.runtime import Runtime
from inference.schemas import (
    BatchPredictRequest,
    BatchRecommendation,
    PredictRequest,
    ProfileRecommendation,
    ProfileRequest,
    Recommendation,
)
from inference.selectors import KeyState
from inference.serving import MODEL_STATE, attribute

router = APIRouter(prefix="/predict", tags=["predict"], route_class=KeyedRoute)
_MODEL_PATH = {"model_id": MODEL_ID}
Body = TypeVar("Body", PredictRequest, BatchPredictRequest, ProfileRequest)


async def _model_and_body(
    request: Request, key: KeyState, body_model: type[Body]
) -> tuple[Runtime, LoadedModel, Body]:
    """What every route here starts with: the body (with its cutoff checked) and the
    path's model, loaded and of the key's project, with the metadata fields asked for
    checked against the model's."""
    model_id = path_id(request, "model_id")
    body = await read_body(request, body_model)
    runtime = runtime_of(request)
    recommend.check_cutoff(body.cutoff, runtime.settings)
    model = await runtime.model(model_id=model_id, project_id=key.project_id)
    attribute(request.scope, MODEL_STATE, model.model_id)
    model.catalogue.check_fields(body.fields)
    return runtime, model, body


@router.post(
    "/{model_id}",
    response_model=Recommendation,
    openapi_extra=described(body=PredictRequest, path=_MODEL_PATH),
)
async def predict(request: Request, key: KeyState) -> JsonResponse:
    """Top items for one user; unknown users get popular items unless told otherwise."""
    runtime, model, body = await _model_and_body(request, key, PredictRequest)
    return JsonResponse(await recommend_recorded(runtime, model, body))


@router.post(
    "/{model_id}/batch",
    response_model=BatchRecommendation,
    openapi_extra=described(body=BatchPredictRequest, path=_MODEL_PATH),
)
async def predict_batch(request: Request, key: KeyState) -> JsonResponse:
    """Top items for many users, scored together in one vectorised call. Each user's
    result is an impression of its own, with the ``request_id`` its conversions name."""
    runtime, model, body = await _model_and_body(request, key, BatchPredictRequest)
    recommend.check_batch_size(len(body.user_ids), runtime.settings)
    results = recommend.for_users(model, body, metrics=runtime.metrics)
    return JsonResponse(
        {
            "model_id": model.model_id,
            "results": [
                {
                    "model_id": model.model_id,
                    "user_id": user_id,
                    "items": scored_items(items, model.catalogue, body.fields),
                    "request_id": record_impression(runtime, model, user_id=user_id, items=items),
                    "fallback": fallback,
                }
                for user_id, items, fallback in results
            ],
        }
    )


@router.post(
    "/{model_id}/profile",
    response_model=ProfileRecommendation,
    openapi_extra=described(body=ProfileRequest, path=_MODEL_PATH),
)
async def predict_profile(request: Request, key: KeyState) -> JsonResponse:
    """Top items for a user the model does not know, from items they interacted with."""
    runtime, model, body = await _model_and_body(request, key, ProfileRequest)
    items, fallback = recommend.for_profile(model, body, metrics=runtime.metrics)
    return JsonResponse(
        {
            "model_id": model.model_id,
            "items": scored_items(items, model.catalogue, body.fields),
            "request_id": record_impression(runtime, model, user_id="", items=items),
            "fallback": fallback,
        }
    )

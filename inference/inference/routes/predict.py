"""Recommendations from one model: for a user, a batch of users, or a profile."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from inference import recommend
from inference.deps import ApiKeyDep, RuntimeDep
from inference.routes.common import ModelId
from inference.schemas import (
    BatchPredictRequest,
    BatchRecommendation,
    PredictRequest,
    ProfileRecommendation,
    ProfileRequest,
    Recommendation,
)

router = APIRouter(prefix="/predict", tags=["predict"])


@router.post("/{model_id}")
async def predict(
    model_id: ModelId, body: PredictRequest, key: ApiKeyDep, runtime: RuntimeDep
) -> Recommendation:
    """Top items for one user; unknown users get popular items unless told otherwise."""
    recommend.check_cutoff(body.cutoff, runtime.settings)
    model = await runtime.model(model_id=model_id, project_id=key.project_id)
    items, fallback = await recommend.for_user(
        model, body, batcher=runtime.batcher, metrics=runtime.metrics
    )
    request_id = uuid.uuid4()
    runtime.impressions.record(
        request_id=request_id,
        project_id=model.project_id,
        slot_id=None,
        model_id=model_id,
        user_id=body.user_id,
        item_ids=[item.item_id for item in items],
    )
    return Recommendation(
        model_id=model_id,
        user_id=body.user_id,
        items=items,
        request_id=request_id,
        fallback=fallback,
    )


@router.post("/{model_id}/batch")
async def predict_batch(
    model_id: ModelId, body: BatchPredictRequest, key: ApiKeyDep, runtime: RuntimeDep
) -> BatchRecommendation:
    """Top items for many users, scored together in one vectorised call."""
    recommend.check_cutoff(body.cutoff, runtime.settings)
    recommend.check_batch_size(len(body.user_ids), runtime.settings)
    model = await runtime.model(model_id=model_id, project_id=key.project_id)
    results = recommend.for_users(model, body, metrics=runtime.metrics)
    return BatchRecommendation(
        model_id=model_id, request_id=uuid.uuid4(), results=results
    )


@router.post("/{model_id}/profile")
async def predict_profile(
    model_id: ModelId, body: ProfileRequest, key: ApiKeyDep, runtime: RuntimeDep
) -> ProfileRecommendation:
    """Top items for a user the model does not know, from items they interacted with."""
    recommend.check_cutoff(body.cutoff, runtime.settings)
    model = await runtime.model(model_id=model_id, project_id=key.project_id)
    items, fallback = recommend.for_profile(model, body, metrics=runtime.metrics)
    return ProfileRecommendation(
        model_id=model_id, items=items, request_id=uuid.uuid4(), fallback=fallback
    )

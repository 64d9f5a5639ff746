"""Parameters and steps shared by the routers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Path

from inference import recommend
from inference.model_cache import LoadedModel
from inference.parsing import MAX_ID
from inference.responses import scored_items
from inference.runtime import Runtime
from inference.schemas import PredictRequest
from inference.selectors import SlotRecord

MODEL_ID = "A trained model's id."
PROJECT_ID = "A project's id."
ModelId = Annotated[int, Path(ge=1, le=MAX_ID, description=MODEL_ID)]


def record_impression(
    runtime: Runtime,
    model: LoadedModel,
    *,
    user_id: str,
    items: list[tuple[str, float]],
    slot: SlotRecord | None = None,
) -> uuid.UUID:
    """Record what was shown and return the ``request_id`` conversions refer to. Every
    answer that carries a ``request_id`` got it here, so each one can be converted.
    Answers for no particular user (a profile, similar items) record an empty user."""
    request_id = uuid.uuid4()
    runtime.impressions.record(
        request_id=request_id,
        project_id=model.project_id,
        slot_id=None if slot is None else slot.slot_id,
        model_id=model.model_id,
        user_id=user_id,
        item_ids=[item for item, _ in items],
    )
    return request_id


async def recommend_recorded(
    runtime: Runtime,
    model: LoadedModel,
    body: PredictRequest,
    *,
    slot: SlotRecord | None = None,
) -> dict[str, Any]:
    """One user's recommendations as the answer's fields, with the impression recorded
    (``body.fields`` already checked against the model's metadata)."""
    items, fallback = await recommend.for_user(
        model, body, batcher=runtime.batcher, metrics=runtime.metrics
    )
    answer = {
        "model_id": model.model_id,
        "user_id": body.user_id,
        "items": scored_items(items, model.catalogue, body.fields),
        "request_id": record_impression(
            runtime, model, user_id=body.user_id, items=items, slot=slot
        ),
        "fallback": fallback,
    }
    if slot is not None:
        answer |= {"slot_id": slot.slot_id, "slot_name": slot.name}
    return answer

"""Item-to-item similarity ("people who liked this also liked")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from inference import recommend
from inference.deps import ApiKeyDep, runtime_of
from inference.responses import JsonResponse, scored_items
from inference.routes.common import ModelId, record_impression
from inference.schemas import IdText, SimilarItems
from recotem_common.limits import DEFAULT_CUTOFF, MAX_QUERY_ITEM_IDS

router = APIRouter(prefix="/similar", tags=["similar"])


@router.get("/{model_id}/{item_id}", response_model=SimilarItems)
async def similar_items(
    *,
    model_id: ModelId,
    item_id: Annotated[IdText, Path(description="The item to find neighbours of.")],
    key: ApiKeyDep,
    request: Request,
    cutoff: Annotated[int, Query(ge=1)] = DEFAULT_CUTOFF,
    exclude_items: Annotated[
        list[IdText],
        Query(max_length=MAX_QUERY_ITEM_IDS, description="Items never to return."),
    ] = [],  # noqa: B006 - FastAPI copies defaults per request
    allow_items: Annotated[
        list[IdText] | None,
        Query(max_length=MAX_QUERY_ITEM_IDS, description="Return only among these items."),
    ] = None,
) -> JsonResponse:
    """The items most similar to ``item_id`` (never the item itself)."""
    runtime = runtime_of(request)
    recommend.check_cutoff(cutoff, runtime.settings)
    model = await runtime.model(model_id=model_id, project_id=key.project_id)
    items = recommend.similar(
        model,
        item_id,
        cutoff=cutoff,
        allow_items=allow_items,
        exclude_items=exclude_items,
    )
    return JsonResponse(
        {
            "model_id": model_id,
            "item_id": item_id,
            "items": scored_items(items),
            "request_id": record_impression(runtime, model, user_id="", items=items),
        }
    )

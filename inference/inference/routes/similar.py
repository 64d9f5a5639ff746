"""Item-to-item similarity ("people who liked this also liked")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from inference import recommend
from inference.deps import ApiKeyDep, runtime_of
from inference.recommend import SimilarityMethod
from inference.responses import JsonResponse, scored_items
from inference.routes.common import ModelId, record_impression
from inference.schemas import FIELDS_DESCRIPTION, MAX_FIELDS, FieldName, IdText, SimilarItems
from inference.serving import MODEL_STATE, attribute
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
    fields: Annotated[
        list[FieldName], Query(max_length=MAX_FIELDS, description=FIELDS_DESCRIPTION)
    ] = [],  # noqa: B006 - FastAPI copies defaults per request
    method: Annotated[
        SimilarityMethod,
        Query(
            description="`auto`: the model's similarity for items it knows, item metadata "
            'for items it never saw (flagged `"fallback": "content"`); `model`: the '
            "model's only (404 for an item it never saw); `content`: item metadata only."
        ),
    ] = "auto",
    content_fields: Annotated[
        list[FieldName],
        Query(
            max_length=MAX_FIELDS,
            description="The metadata fields content similarity compares; every "
            "comparable field when omitted.",
        ),
    ] = [],  # noqa: B006 - FastAPI copies defaults per request
) -> JsonResponse:
    """The items most similar to ``item_id`` (never the item itself), by the model or by
    item metadata: list and categorical fields one-hot, text fields TF-IDF, cosine."""
    runtime = runtime_of(request)
    recommend.check_cutoff(cutoff, runtime.settings)
    model = await runtime.model(model_id=model_id, project_id=key.project_id)
    attribute(request.scope, MODEL_STATE, model.model_id)
    model.catalogue.check_fields(fields)
    compared = model.catalogue.content_fields(content_fields)
    items, answered_by, fallback = recommend.similar(
        model,
        item_id,
        cutoff=cutoff,
        allow_items=allow_items,
        exclude_items=exclude_items,
        method=method,
        content_fields=compared,
    )
    return JsonResponse(
        {
            "model_id": model_id,
            "item_id": item_id,
            "items": scored_items(items, model.catalogue, fields),
            "request_id": record_impression(runtime, model, user_id="", items=items),
            "method": answered_by,
            "fallback": fallback,
        }
    )

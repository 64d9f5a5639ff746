"""Turning requests into scored items with a loaded model: filters, limits, fallback.

Results are the artifact's plain ``(item_id, score)`` lists; the routes render them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from inference.batching import ScoringBatcher
from inference.config import Settings
from inference.errors import NotFound, ValidationFailed, field_error
from inference.metrics import Metrics
from inference.model_cache import LoadedModel
from inference.schemas import BatchPredictRequest, PredictRequest, ProfileRequest
from recotem_common.artifact import UnsupportedOperation
from recotem_common.artifact.model import Recommendations

Fallback = Literal["popular"] | None
POPULAR: Fallback = "popular"
SimilarityMethod = Literal["auto", "model", "content"]
ContentFallback = Literal["content"] | None
CONTENT: ContentFallback = "content"
# How many unknown users a batch error names before it stops listing.
MAX_NAMED_USERS = 10


def check_cutoff(cutoff: int, settings: Settings) -> None:
    if cutoff > settings.max_cutoff:
        raise field_error(
            "cutoff",
            f"cutoff must be between 1 and {settings.max_cutoff}; got {cutoff}.",
        )


def check_batch_size(size: int, settings: Settings) -> None:
    if size > settings.max_batch_size:
        raise field_error(
            "user_ids",
            f"A batch holds at most {settings.max_batch_size} users; got {size}. "
            "Split it into several requests.",
        )


def _popular(
    model: LoadedModel, request: PredictRequest | BatchPredictRequest | ProfileRequest
) -> Recommendations:
    return model.artifact.popular_items(
        request.cutoff,
        exclude_items=request.exclude_items,
        allow_items=request.allow_items,
    )


async def for_user(
    model: LoadedModel,
    request: PredictRequest,
    *,
    batcher: ScoringBatcher,
    metrics: Metrics,
) -> tuple[Recommendations, Fallback]:
    recommendations = await batcher.recommend(
        model,
        request.user_id,
        cutoff=request.cutoff,
        exclude_seen=request.exclude_seen,
        allow_items=request.allow_items,
        exclude_items=request.exclude_items,
    )
    if recommendations is not None:
        return recommendations, None
    if request.unknown_user == "error":
        raise NotFound(f"User {request.user_id!r} is not known to model {model.model_id}.")
    metrics.fallbacks.inc()
    return _popular(model, request), POPULAR


def for_users(
    model: LoadedModel, request: BatchPredictRequest, *, metrics: Metrics
) -> list[tuple[str, Recommendations, Fallback]]:
    """(user id, items, fallback) for each requested user, in order."""
    results = model.artifact.recommend_users(
        request.user_ids,
        request.cutoff,
        exclude_seen=request.exclude_seen,
        allow_items=request.allow_items,
        exclude_items=request.exclude_items,
    )
    unknown = [uid for uid, result in zip(request.user_ids, results, strict=True) if result is None]
    if unknown and request.unknown_user == "error":
        named = ", ".join(repr(uid) for uid in unknown[:MAX_NAMED_USERS])
        more = (
            f" and {len(unknown) - MAX_NAMED_USERS} more" if len(unknown) > MAX_NAMED_USERS else ""
        )
        raise NotFound(f"Users not known to model {model.model_id}: {named}{more}.")
    popular = _popular(model, request) if unknown else []
    metrics.fallbacks.inc(len(unknown))
    return [
        (uid, popular, POPULAR) if result is None else (uid, result, None)
        for uid, result in zip(request.user_ids, results, strict=True)
    ]


def for_profile(
    model: LoadedModel, request: ProfileRequest, *, metrics: Metrics
) -> tuple[Recommendations, Fallback]:
    artifact = model.artifact
    try:
        recommendations = artifact.recommend_profile(
            request.item_ids,
            request.cutoff,
            exclude_seen=request.exclude_seen,
            allow_items=request.allow_items,
            exclude_items=request.exclude_items,
        )
    except UnsupportedOperation as exc:
        raise ValidationFailed(f"Model {model.model_id}: {exc}") from exc
    if recommendations or _any_known(model, request.item_ids):
        return recommendations, None
    metrics.fallbacks.inc()
    return _popular(model, request), POPULAR


def similar(
    model: LoadedModel,
    item_id: str,
    *,
    cutoff: int,
    allow_items: Sequence[str] | None,
    exclude_items: Sequence[str],
    method: SimilarityMethod,
    content_fields: Sequence[str],
) -> tuple[Recommendations, Literal["model", "content"], ContentFallback]:
    """Items similar to ``item_id``: by the model (``"model"``), by item metadata
    (``"content"``), or by the model for the items it knows and by metadata for the
    others (``"auto"``, flagged as a content fallback). Returns the items, which of the
    two answered, and the fallback flag."""
    if method != "content":
        try:
            recommendations = model.artifact.similar_items(
                item_id, cutoff, allow_items=allow_items, exclude_items=exclude_items
            )
        except UnsupportedOperation as exc:
            raise ValidationFailed(
                f"Model {model.model_id}: {exc} Ask for method=content to compare items "
                "by their metadata instead."
            ) from exc
        if recommendations is not None:
            return recommendations, "model", None
        if method == "model" or item_id not in model.catalogue.content.rows:
            raise NotFound(f"Item {item_id!r} is not known to model {model.model_id}.")
    if not model.catalogue.has_metadata:
        raise field_error(
            "method",
            f"Model {model.model_id} carries no item metadata to compare items by. "
            "Upload item metadata to the project and train the model again.",
        )
    recommendations = model.catalogue.content.similar(
        item_id,
        cutoff,
        fields=content_fields,
        allow_items=allow_items,
        exclude_items=exclude_items,
    )
    if recommendations is None:
        raise NotFound(f"Item {item_id!r} has no item metadata in model {model.model_id}.")
    return recommendations, "content", CONTENT if method == "auto" else None


def _any_known(model: LoadedModel, item_ids: Sequence[str]) -> bool:
    return any(model.artifact.item_index(item_id) is not None for item_id in item_ids)

"""Reads over trained models: status payloads and recommendation previews."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from core.exceptions import Conflict, NotFound, ValidationFailed
from core.models import JobStatus
from projects.models import ItemMetaData
from projects.selectors import item_metadata_frame, metadata_rows
from recotem_common.artifact import ArtifactError, ModelArtifact, UnsupportedOperation
from training.algorithms import ALGORITHMS, DEFAULT_ALGORITHMS
from training.artifacts import artifact_cache
from training.models import TrainedModel

_rng = np.random.default_rng()


def trained_model_status_payload(*, model: TrainedModel) -> dict[str, Any]:
    return {
        "type": "status",
        "model_id": model.pk,
        "status": model.status,
        "error_message": model.error_message,
        "version_tag": model.version_tag,
    }


def trained_model_artifact(*, model: TrainedModel) -> ModelArtifact:
    if model.status != JobStatus.COMPLETED or not model.file:
        raise Conflict(
            f"Model {model.version_tag or model.pk} has no artifact yet (status {model.status})."
        )
    try:
        return artifact_cache.get(model)
    except FileNotFoundError as error:
        raise NotFound("The model file is missing from storage.") from error
    except ArtifactError as error:
        raise Conflict(f"The stored model file cannot be used: {error}") from error


def _pairs(recommendations: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"item_id": item, "score": score} for item, score in recommendations]


def _profile(artifact: ModelArtifact, user_index: int) -> list[str]:
    indptr = artifact.arrays["seen_indptr"]
    indices = artifact.arrays["seen_indices"][indptr[user_index] : indptr[user_index + 1]]
    return [str(item) for item in artifact.item_ids[indices]]


def trained_model_basename(*, model: TrainedModel) -> str:
    """The name a model's file is listed and downloaded as: the one given by renaming,
    or one made of its id and version."""
    return model.basename or f"recotem-model-{model.pk}-{model.version_tag}.rctm"


def recommendation_for_user(
    *, artifact: ModelArtifact, user_id: str, cutoff: int
) -> dict[str, Any]:
    """A known user's history and top ``cutoff`` unseen items."""
    index = artifact.user_index(user_id)
    if index is None:
        raise NotFound(f"User {user_id!r} is not in this model's training data.")
    recommendations = artifact.recommend_users([user_id], cutoff)[0] or []
    return {
        "user_id": user_id,
        "user_profile": _profile(artifact, index),
        "recommendations": _pairs(recommendations),
    }


def sample_recommendation(*, artifact: ModelArtifact, cutoff: int) -> dict[str, Any]:
    if artifact.n_users == 0:
        raise Conflict("The model knows no user.")
    user_id = str(artifact.user_ids[int(_rng.integers(artifact.n_users))])
    return recommendation_for_user(artifact=artifact, user_id=user_id, cutoff=cutoff)


def sample_recommendation_with_metadata(
    *, artifact: ModelArtifact, metadata: ItemMetaData, cutoff: int
) -> dict[str, Any]:
    """A random known user, with their history and recommendations described by the
    item metadata rows (items without metadata get nulls)."""
    item_column = metadata.project.item_column
    frame = item_metadata_frame(metadata=metadata)
    sample = sample_recommendation(artifact=artifact, cutoff=cutoff)
    recommendations = metadata_rows(
        frame, item_column, [pair["item_id"] for pair in sample["recommendations"]]
    )
    for row, pair in zip(recommendations, sample["recommendations"], strict=True):
        row["score"] = pair["score"]
    return {
        "user_id": sample["user_id"],
        "user_profile": metadata_rows(frame, item_column, sample["user_profile"]),
        "recommendations": recommendations,
    }


def recommend_for_profile(
    *, artifact: ModelArtifact, item_ids: Sequence[str], cutoff: int
) -> dict[str, Any]:
    try:
        recommendations = artifact.recommend_profile(list(item_ids), cutoff)
    except UnsupportedOperation as error:
        raise ValidationFailed(str(error)) from error
    return {"recommendations": _pairs(recommendations)}


def _range(parameter_range: Any) -> dict[str, Any]:
    described = {"name": parameter_range.name, "kind": type(parameter_range).__name__}
    for attribute in ("low", "high", "choices"):
        if hasattr(parameter_range, attribute):
            described[attribute] = getattr(parameter_range, attribute)
    return described


def algorithm_catalogue() -> list[dict[str, Any]]:
    """What ``recommender_class_name``/``parameters_json`` and tuning accept."""
    return [
        {
            "name": algorithm.name,
            "recommender_class_name": algorithm.class_name,
            "default": algorithm.name in DEFAULT_ALGORITHMS,
            "parameters": {
                name: field.default
                for name, field in algorithm.config_class.model_fields.items()
                if name != "n_threads"
            },
            "search_space": [_range(r) for r in algorithm.search_space],
        }
        for algorithm in ALGORITHMS.values()
    ]

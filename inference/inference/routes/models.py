"""The models this worker holds in memory, as far as the caller's key may see them."""

from __future__ import annotations

from fastapi import APIRouter

from inference.deps import ListingKeyDep, RuntimeDep
from inference.schemas import LoadedModelInfo, ModelList

router = APIRouter(tags=["models"])


@router.get("/models")
async def loaded_models(key: ListingKeyDep, runtime: RuntimeDep) -> ModelList:
    """Loaded models of the key's project, with their version and load time."""
    listed = [
        LoadedModelInfo(
            model_id=model.model_id,
            project_id=model.project_id,
            version_tag=model.record.version_tag,
            algorithm=model.artifact.algorithm or model.record.algorithm,
            loaded_at=model.loaded_at,
            load_seconds=model.load_seconds,
            nbytes=model.nbytes,
            n_users=model.artifact.n_users,
            n_items=model.artifact.n_items,
            supports_profile=model.artifact.supports_profile,
            supports_similar=model.artifact.supports_similar,
        )
        for model in runtime.models.loaded()
        if model.project_id == key.project_id
    ]
    return ModelList(models=listed, count=len(listed))

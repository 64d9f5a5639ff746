"""The model cache: bounded by count and bytes, one load for concurrent misses."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from inference.metrics import Metrics
from inference.model_cache import ModelCache, ModelUnavailable
from inference.selectors import ModelRecord
from inference.storage import LocalStore
from recotem_common.artifact import signing_keys
from tests.conftest import SECRET_KEY, Artifacts


class CountingStore(LocalStore):
    """Reads slowly and counts, so concurrent misses overlap."""

    def __init__(self, artifacts: Artifacts) -> None:
        super().__init__(artifacts.media_root)
        self.reads: list[str] = []
        self._lock = threading.Lock()

    def read(self, name: str) -> bytes:
        with self._lock:
            self.reads.append(name)
        time.sleep(0.05)
        return super().read(name)


def _record(model_id: int, artifacts: Artifacts, name: str = "knn") -> ModelRecord:
    return ModelRecord(
        model_id=model_id,
        project_id=1,
        file=artifacts.files[name],
        status="COMPLETED",
        version_tag=f"v{model_id}",
        algorithm="CosineKNNRecommender",
    )


def _cache(store: LocalStore, **bounds: int) -> ModelCache:
    return ModelCache(
        store=store,
        keys=signing_keys(SECRET_KEY),
        max_models=bounds.get("max_models", 10),
        max_bytes=bounds.get("max_bytes", 10**9),
        retry_seconds=60,
        metrics=Metrics(),
    )


def test_concurrent_misses_load_the_file_once(artifacts: Artifacts) -> None:
    store = CountingStore(artifacts)
    cache = _cache(store)

    async def scenario() -> set[int]:
        loaded = await asyncio.gather(*(cache.load(_record(1, artifacts)) for _ in range(10)))
        return {id(model) for model in loaded}

    assert len(asyncio.run(scenario())) == 1
    assert store.reads == [artifacts.files["knn"]]


def test_the_least_recently_used_model_goes_first_beyond_the_count(
    artifacts: Artifacts,
) -> None:
    cache = _cache(LocalStore(artifacts.media_root), max_models=2)

    async def scenario() -> None:
        await cache.load(_record(1, artifacts))
        await cache.load(_record(2, artifacts))
        assert cache.get(1) is not None  # 1 is now the most recently used
        await cache.load(_record(3, artifacts))

    asyncio.run(scenario())

    assert {model.model_id for model in cache.loaded()} == {1, 3}


def test_the_byte_bound_keeps_total_size_below_the_limit(artifacts: Artifacts) -> None:
    knn = artifacts.models["knn"]
    # The cache builds the user index of each model it loads, and counts it.
    knn.index_users()
    one_model = knn.nbytes
    cache = _cache(LocalStore(artifacts.media_root), max_bytes=int(one_model * 2.5))

    async def scenario() -> None:
        for model_id in (1, 2, 3, 4):
            await cache.load(_record(model_id, artifacts))

    asyncio.run(scenario())

    assert [model.model_id for model in cache.loaded()] == [3, 4]
    assert cache.total_bytes == 2 * one_model


def test_a_failed_file_is_not_read_again_until_the_retry_delay(
    artifacts: Artifacts,
) -> None:
    store = CountingStore(artifacts)
    cache = _cache(store)
    record = _record(5, artifacts, "tampered")

    async def scenario() -> None:
        for _ in range(3):
            with pytest.raises(ModelUnavailable):
                await cache.load(record)

    asyncio.run(scenario())

    assert store.reads == [artifacts.files["tampered"]]
    assert "ArtifactTampered" in cache.failures[5].reason

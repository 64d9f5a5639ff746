"""The model cache: bounded by count and bytes, one load for concurrent misses."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from inference.metrics import Metrics
from inference.model_cache import CacheFull, ModelCache, ModelUnavailable
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


def test_ad_hoc_loads_never_evict_pinned_models(artifacts: Artifacts) -> None:
    cache = _cache(LocalStore(artifacts.media_root), max_models=3)
    cache.pin({1, 2})

    async def scenario() -> None:
        for model_id in (1, 2, 3, 4, 5):
            await cache.load(_record(model_id, artifacts))

    asyncio.run(scenario())

    # 1 and 2 are the least recently used, yet the ad-hoc loads share the one free place.
    assert [model.model_id for model in cache.loaded()] == [1, 2, 5]


def test_an_ad_hoc_load_is_refused_when_pinned_models_fill_the_cache(
    artifacts: Artifacts,
) -> None:
    store = CountingStore(artifacts)
    cache = _cache(store, max_models=2)
    cache.pin({1, 2})

    async def scenario() -> None:
        await cache.load(_record(1, artifacts))
        await cache.load(_record(2, artifacts))
        await cache.load(_record(3, artifacts))

    with pytest.raises(CacheFull) as refused:
        asyncio.run(scenario())

    assert refused.value.status_code == 503
    assert "not deployed to a slot" in refused.value.message
    assert "INFERENCE_MAX_LOADED_MODELS" in refused.value.message
    assert [model.model_id for model in cache.loaded()] == [1, 2]
    # Refused before the file was read.
    assert len(store.reads) == 2


def test_an_ad_hoc_model_beyond_the_byte_bound_is_dropped_not_a_pinned_one(
    artifacts: Artifacts,
) -> None:
    knn = artifacts.models["knn"]
    knn.index_users()
    cache = _cache(LocalStore(artifacts.media_root), max_bytes=int(knn.nbytes * 1.5))
    cache.pin({1})

    async def scenario() -> None:
        await cache.load(_record(1, artifacts))
        await cache.load(_record(2, artifacts))

    with pytest.raises(CacheFull):
        asyncio.run(scenario())

    assert [model.model_id for model in cache.loaded()] == [1]
    assert cache.total_bytes == knn.nbytes
    assert 2 not in cache.failures


def test_a_model_no_longer_pinned_becomes_evictable(artifacts: Artifacts) -> None:
    cache = _cache(LocalStore(artifacts.media_root), max_models=2)
    cache.pin({1, 2})

    async def scenario() -> None:
        await cache.load(_record(1, artifacts))
        await cache.load(_record(2, artifacts))
        cache.pin({2})
        await cache.load(_record(3, artifacts))

    asyncio.run(scenario())

    assert [model.model_id for model in cache.loaded()] == [2, 3]

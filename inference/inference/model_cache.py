"""Loaded models, bounded by count and bytes, loaded once however many requests wait.

Loading (read the file, verify its signature, map its arrays) runs in a thread so the
event loop keeps serving other models meanwhile. A file that fails to load is recorded
for ``/health`` and not read again for ``retry_seconds``, so a broken model does not
make every request re-read it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from inference.catalogue import ItemCatalogue
from inference.errors import ServiceUnavailable
from inference.metrics import Metrics
from inference.selectors import ModelRecord
from inference.singleflight import SingleFlight
from inference.storage import ArtifactStore, ModelFileMissing
from recotem_common.artifact import ArtifactError, ModelArtifact, read_artifact
from recotem_common.artifact.item_metadata import read_metadata
from recotem_common.artifact.keys import SigningKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    record: ModelRecord
    artifact: ModelArtifact
    catalogue: ItemCatalogue
    loaded_at: datetime
    load_seconds: float

    @property
    def model_id(self) -> int:
        return self.record.model_id

    @property
    def project_id(self) -> int:
        return self.record.project_id

    @property
    def nbytes(self) -> int:
        return int(self.artifact.nbytes) + self.catalogue.nbytes


@dataclass(frozen=True)
class LoadFailure:
    record: ModelRecord
    reason: str
    failed_at: datetime
    monotonic: float


class CacheFull(ServiceUnavailable):
    """An ad-hoc model does not fit beside the pinned ones."""


class ModelUnavailable(ServiceUnavailable):
    pass


def _failure_reason(exc: Exception) -> str:
    if isinstance(exc, ModelFileMissing):
        return f"The model file is missing: {exc}"
    if isinstance(exc, ArtifactError):
        return f"The model file was refused ({type(exc).__name__}): {exc}"
    return f"The model file could not be read ({type(exc).__name__})."


class ModelCache:
    def __init__(
        self,
        *,
        store: ArtifactStore,
        keys: Sequence[SigningKey],
        max_models: int,
        max_bytes: int,
        retry_seconds: float,
        metrics: Metrics,
    ) -> None:
        self._store = store
        self._keys = list(keys)
        self.max_models = max_models
        self.max_bytes = max_bytes
        self._retry_seconds = retry_seconds
        self._metrics = metrics
        self._models: OrderedDict[int, LoadedModel] = OrderedDict()
        self._loads: SingleFlight[int, LoadedModel] = SingleFlight()
        self.failures: dict[int, LoadFailure] = {}
        self.total_bytes = 0
        # Deployed and preloaded models: never evicted, so an ad-hoc load by a key can
        # only use the capacity they leave.
        self._pinned: frozenset[int] = frozenset()

    def pin(self, model_ids: Iterable[int]) -> None:
        """Make ``model_ids`` the pinned set; models no longer in it become evictable."""
        self._pinned = frozenset(model_ids)

    def is_pinned(self, model_id: int) -> bool:
        return model_id in self._pinned

    def get(self, model_id: int) -> LoadedModel | None:
        loaded = self._models.get(model_id)
        if loaded is None:
            return None
        self._models.move_to_end(model_id)
        self._metrics.cache_hits.inc()
        return loaded

    def loaded(self) -> list[LoadedModel]:
        return list(self._models.values())

    async def load(self, record: ModelRecord, *, replace: bool = False) -> LoadedModel:
        """The model in memory, loading it if needed (once for all concurrent callers).

        ``replace`` reads the file again even when the model is loaded: a hot swap.
        """
        model_id = record.model_id
        if replace:
            return await self._loads.run_fresh(model_id, lambda: self._load(record))
        cached = self.get(model_id)
        if cached is not None:
            return cached
        failure = self.failures.get(model_id)
        if failure is not None and time.monotonic() - failure.monotonic < self._retry_seconds:
            raise self._unavailable(failure)
        self._metrics.cache_misses.inc()
        if not self.is_pinned(model_id) and self._pinned_count() >= self.max_models:
            raise self._full(model_id)
        return await self._loads.run(model_id, lambda: self._load(record))

    def _pinned_count(self) -> int:
        return sum(1 for model_id in self._models if model_id in self._pinned)

    def _over_bounds(self) -> bool:
        return len(self._models) > self.max_models or self.total_bytes > self.max_bytes

    def _full(self, model_id: int) -> CacheFull:
        return CacheFull(
            f"Model {model_id} is not deployed to a slot and this worker's model cache is "
            f"full of deployed and preloaded models ({self._pinned_count()} models, "
            f"{self.total_bytes} bytes; limits {self.max_models} models, {self.max_bytes} "
            "bytes). Deploy the model to a slot, or raise INFERENCE_MAX_LOADED_MODELS / "
            "INFERENCE_MAX_CACHE_BYTES.",
            headers={"Retry-After": "30"},
        )

    async def _load(self, record: ModelRecord) -> LoadedModel:
        started = time.perf_counter()
        try:
            artifact, catalogue = await asyncio.to_thread(self._read, record.file)
        except Exception as exc:
            failure = LoadFailure(
                record=record,
                reason=_failure_reason(exc),
                failed_at=datetime.now(UTC),
                monotonic=time.monotonic(),
            )
            self.failures[record.model_id] = failure
            self._metrics.model_loads.labels("failed").inc()
            logger.error(
                "Model %s (%s) was not loaded: %s",
                record.model_id,
                record.file,
                failure.reason,
                exc_info=not isinstance(exc, ArtifactError | ModelFileMissing),
            )
            raise self._unavailable(failure) from exc
        elapsed = time.perf_counter() - started
        loaded = LoadedModel(
            record=record,
            artifact=artifact,
            catalogue=catalogue,
            loaded_at=datetime.now(UTC),
            load_seconds=elapsed,
        )
        self.failures.pop(record.model_id, None)
        self._install(loaded)
        if loaded.model_id not in self._models:
            raise self._full(loaded.model_id)
        self._metrics.model_loads.labels("loaded").inc()
        self._metrics.model_load_seconds.observe(elapsed)
        logger.info(
            "Loaded model %s (%s, %s, %d bytes) in %.3fs",
            record.model_id,
            record.version_tag or "untagged",
            record.algorithm,
            loaded.nbytes,
            elapsed,
        )
        return loaded

    def _read(self, name: str) -> tuple[ModelArtifact, ItemCatalogue]:
        artifact = read_artifact(self._store.read(name), self._keys)
        catalogue = ItemCatalogue(read_metadata(artifact.manifest))
        # Here, in the loading thread: the first request would otherwise build the
        # user index and compile the scoring loops on the event loop, and the cache's
        # byte count must include the index.
        artifact.prepare()
        return artifact, catalogue

    def _install(self, loaded: LoadedModel) -> None:
        previous = self._models.pop(loaded.model_id, None)
        if previous is not None:
            self.total_bytes -= previous.nbytes
        self._models[loaded.model_id] = loaded
        self.total_bytes += loaded.nbytes
        # Least recently used first, never a pinned model and never the one just loaded:
        # it stays even when it alone exceeds the byte bound.
        evictable = [
            model_id
            for model_id in self._models
            if model_id not in self._pinned and model_id != loaded.model_id
        ]
        for model_id in evictable:
            if not self._over_bounds():
                break
            self._evict(model_id)
        # Only pinned models are left besides an ad-hoc one that does not fit: drop it.
        if self._over_bounds() and len(self._models) > 1 and loaded.model_id not in self._pinned:
            self._evict(loaded.model_id)
        self._metrics.cache_models.set(len(self._models))
        self._metrics.cache_bytes.set(self.total_bytes)

    def _evict(self, model_id: int) -> None:
        evicted = self._models.pop(model_id)
        self.total_bytes -= evicted.nbytes
        self._metrics.cache_evictions.inc()
        logger.info("Evicted model %s from the cache", model_id)

    @staticmethod
    def _unavailable(failure: LoadFailure) -> ModelUnavailable:
        return ModelUnavailable(
            f"Model {failure.record.model_id} cannot be served: its file failed to "
            "load (see /health). Retrain the model or restore its file."
        )

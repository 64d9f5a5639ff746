"""What a worker keeps between requests, with its startup, hot swap and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import redis.asyncio as aioredis

from inference import selectors
from inference.auth import ApiKeyVerifier
from inference.batching import ScoringBatcher
from inference.config import Settings
from inference.db import create_engine, create_sessionmaker
from inference.errors import NotFound, ServiceUnavailable
from inference.events import ModelEventListener
from inference.impressions import ImpressionRecorder
from inference.metrics import Metrics
from inference.model_cache import LoadedModel, ModelCache
from inference.ratelimit import RateLimiter
from inference.routing import SlotRouter
from inference.selectors import ModelRecord, SlotRecord
from inference.serving import ServingRecorder
from inference.storage import create_store
from recotem_common.artifact import signing_keys
from recotem_common.events import ApiKeyRevoked, ModelEvent, ModelTrained, SlotsChanged

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 1.0


class Runtime:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.engine = create_engine(settings)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.redis = aioredis.from_url(
            settings.events_redis_url,
            socket_timeout=HEALTH_TIMEOUT_SECONDS,
            socket_connect_timeout=HEALTH_TIMEOUT_SECONDS,
        )
        self.limiter = RateLimiter(
            rate=settings.rate_limit,
            redis_url=settings.rate_limit_storage_uri,
            sync_seconds=settings.rate_limit_sync_seconds,
        )
        self.key_failures = RateLimiter(
            rate=settings.api_key_failure_rate,
            redis_url=settings.rate_limit_storage_uri,
            sync_seconds=settings.rate_limit_sync_seconds,
        )
        self.verifier = ApiKeyVerifier(
            sessionmaker=self.sessionmaker,
            cache_seconds=settings.api_key_cache_seconds,
            recheck_seconds=settings.api_key_recheck_seconds,
            failures=self.key_failures,
        )
        self.models = ModelCache(
            store=create_store(settings),
            keys=signing_keys(settings.secret_key, settings.model_signing_keys),
            max_models=settings.max_loaded_models,
            max_bytes=int(settings.max_cache_bytes),
            retry_seconds=settings.model_retry_seconds,
            metrics=metrics,
        )
        self.batcher = ScoringBatcher()
        self.router = SlotRouter(
            sessionmaker=self.sessionmaker,
            refresh_seconds=settings.routing_refresh_seconds,
            warm_up=self._warm_up,
        )
        self.impressions = ImpressionRecorder(
            sessionmaker=self.sessionmaker,
            flush_seconds=settings.impression_flush_seconds,
            buffer_limit=settings.impression_buffer_limit,
            metrics=metrics,
        )
        self.serving = ServingRecorder(redis=self.redis)
        self.listener = ModelEventListener(
            redis_url=settings.events_redis_url,
            on_event=self.handle_event,
            on_reconnect=self.catch_up,
        )
        self._tasks: list[asyncio.Task[None]] = []
        # The models of each project's active slots, as last routed.
        self._slot_models: dict[int, frozenset[int]] = {}

    async def start(self) -> None:
        try:
            await self._preload()
        except Exception:
            # Serving what can be loaded later beats refusing to start.
            logger.exception("Preloading models failed; they will load on first use")
        self._tasks = [
            asyncio.create_task(self.listener.run(), name="model-events"),
            asyncio.create_task(self.verifier.run_rechecks(), name="api-key-rechecks"),
            asyncio.create_task(self.impressions.run(), name="impressions"),
            asyncio.create_task(self.serving.run(), name="serving-figures"),
            asyncio.create_task(self.limiter.run(), name="rate-limit-sync"),
            asyncio.create_task(self.key_failures.run(), name="key-failure-sync"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.listener.aclose()
        await self.impressions.flush()
        await self.serving.flush()
        if self.impressions.pending:
            logger.error("%d impressions were not stored at shutdown", self.impressions.pending)
        await self.redis.aclose()
        await self.engine.dispose()

    async def model(self, *, model_id: int, project_id: int) -> LoadedModel:
        """A model of ``project_id``, loaded. Other projects' models answer 404 exactly
        like missing ones, so a key cannot probe which ids exist."""
        loaded = self.models.get(model_id)
        if loaded is None:
            record = await self._record(model_id)
            if record is not None and record.project_id == project_id:
                loaded = await self.models.load(record)
        if loaded is None or loaded.project_id != project_id:
            raise NotFound(
                f"Model {model_id} does not exist, is not trained yet, or belongs to "
                "another project than this API key's."
            )
        return loaded

    async def handle_event(self, event: ModelEvent) -> None:
        match event:
            case ApiKeyRevoked(api_key_id=api_key_id):
                self.verifier.forget(api_key_id)
            case SlotsChanged(project_id=project_id):
                await self.router.refresh(project_id)
            case ModelTrained(model_id=model_id):
                await self._model_trained(model_id)

    async def catch_up(self) -> None:
        """After the event stream was down: re-read what its events would have told."""
        logger.info("Re-reading routing and keys after reconnecting to Redis")
        for project_id in self.router.known_projects():
            await self.router.refresh(project_id)
        await self.verifier.recheck()

    async def _model_trained(self, model_id: int) -> None:
        """Swap in a new model only where it is wanted: deployed or preloaded."""
        async with self.sessionmaker() as session:
            deployed = await selectors.model_is_deployed(session, model_id=model_id)
            record = await selectors.trained_model_record(session, model_id=model_id)
        if record is None:
            return
        if deployed or model_id in self.settings.preload_model_ids:
            with contextlib.suppress(ServiceUnavailable):
                await self.models.load(record, replace=True)
        # The backend may have pointed a slot at the new model in the same change.
        if deployed or record.project_id in self.router.known_projects():
            await self.router.refresh(record.project_id)

    async def _record(self, model_id: int) -> ModelRecord | None:
        async with self.sessionmaker() as session:
            return await selectors.trained_model_record(session, model_id=model_id)

    async def _warm_up(self, project_id: int, arms: Sequence[SlotRecord]) -> None:
        # Pinned before loading, so the new arms never push each other out; the models
        # of the project's previous arms become evictable.
        self._slot_models[project_id] = frozenset(arm.model_id for arm in arms)
        self._pin()
        for arm in arms:
            record = await self._record(arm.model_id)
            if record is None:
                logger.error(
                    "Slot %s points at model %s, which cannot be served",
                    arm.name,
                    arm.model_id,
                )
                continue
            # A broken model is reported by /health; the other arms still switch.
            with contextlib.suppress(ServiceUnavailable):
                await self.models.load(record)

    def _pin(self) -> None:
        self.models.pin(set(self.settings.preload_model_ids).union(*self._slot_models.values()))

    async def _preload(self) -> None:
        self._pin()
        async with self.sessionmaker() as session:
            deployed = await selectors.deployed_model_ids(session)
            projects = await selectors.projects_with_active_slots(session)
        for model_id in sorted(set(self.settings.preload_model_ids) - deployed):
            record = await self._record(model_id)
            if record is None:
                logger.error(
                    "INFERENCE_PRELOAD_MODEL_IDS names model %s, which is not servable",
                    model_id,
                )
                continue
            with contextlib.suppress(ServiceUnavailable):
                await self.models.load(record)
        for project_id in sorted(projects):
            await self.router.refresh(project_id)

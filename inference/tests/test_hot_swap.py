"""Hot swap from ``recotem:model_events``, and surviving a Redis restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from recotem_common.embedded_redis import start_embedded_redis
from recotem_common.events import ModelTrained, SlotsChanged
from testbed.seeder import Seeder
from tests.conftest import (
    Artifacts,
    ServeFactory,
    World,
    headers,
    publish,
    publish_raw,
    runtime_of,
    wait_for,
)

SWAP_SECONDS = 2.0


def _deployed_project(
    seeder: Seeder, world: World, artifacts: Artifacts
) -> tuple[int, str, int, int]:
    project = seeder.project(owner_id=world.owner_id)
    _, key = seeder.api_key(project_id=project, owner_id=world.owner_id)
    model = seeder.trained_model(
        project_id=project,
        file=artifacts.files["knn"],
        algorithm="CosineKNNRecommender",
    )
    slot = seeder.slot(project_id=project, model_id=model)
    return project, key, model, slot


def _served_model(client: TestClient, project: int, key: str) -> int:
    response = client.post(
        f"/predict/project/{project}", json={"user_id": "1"}, headers=headers(key)
    )
    assert response.status_code == 200, response.text
    return int(response.json()["model_id"])


def _loaded_ids(client: TestClient) -> set[int]:
    return {model.model_id for model in runtime_of(client).models.loaded()}


def test_new_model_of_a_deployed_slot_is_served_within_two_seconds(
    serve: ServeFactory, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project, key, old_model, slot = _deployed_project(seeder, world, artifacts)
    with serve() as client:
        assert _served_model(client, project, key) == old_model
        new_model = seeder.trained_model(
            project_id=project,
            file=artifacts.files["knn_small"],
            algorithm="CosineKNNRecommender",
        )
        seeder.update("deployments_deploymentslot", slot, trained_model_id=new_model)

        publish(ModelTrained(model_id=new_model, project_id=project))

        wait_for(
            lambda: _served_model(client, project, key) == new_model,
            timeout=SWAP_SECONDS,
        )
        assert new_model in _loaded_ids(client)


def test_a_model_neither_deployed_nor_preloaded_is_not_loaded_by_the_event(
    client: TestClient, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    idle = seeder.trained_model(
        project_id=world.project_id,
        file=artifacts.files["knn_small"],
        algorithm="CosineKNNRecommender",
    )

    publish(ModelTrained(model_id=idle, project_id=world.project_id))
    time.sleep(0.5)

    assert idle not in _loaded_ids(client)


def test_a_preloaded_model_is_loaded_at_startup_and_reloaded_on_its_event(
    serve: ServeFactory, world: World
) -> None:
    with serve(preload_model_ids=[world.toppop_model_id]) as client:
        models = runtime_of(client).models
        first = models.get(world.toppop_model_id)
        assert first is not None

        publish(ModelTrained(model_id=world.toppop_model_id, project_id=world.project_id))

        wait_for(lambda: models.get(world.toppop_model_id) is not first, timeout=SWAP_SECONDS)


def test_malformed_events_are_ignored(client: TestClient, world: World) -> None:
    for event in (
        "not json",
        "[1, 2]",
        '{"event": "model_trained", "model_id": "x", "project_id": 1}',
        '{"event": "something_new"}',
    ):
        publish_raw(event)

    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1"},
        headers=headers(world.predict_key),
    )
    assert response.status_code == 200
    assert runtime_of(client).listener.connected.is_set()


class RestartableRedis:
    """A Redis server of the test's own, which it may stop and start again on one port."""

    def __init__(self) -> None:
        self.server = start_embedded_redis()
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = start_embedded_redis(self.server.port)


@contextmanager
def own_redis() -> Iterator[RestartableRedis]:
    redis = RestartableRedis()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.mark.slow
def test_the_service_survives_a_redis_restart(
    serve: ServeFactory, world: World, seeder: Seeder, artifacts: Artifacts
) -> None:
    project, key, model, slot = _deployed_project(seeder, world, artifacts)
    with own_redis() as server, serve(redis_url=server.url) as client:
        listener = runtime_of(client).listener
        assert _served_model(client, project, key) == model

        server.stop()
        wait_for(lambda: not listener.connected.is_set(), timeout=5)
        # Serving goes on: keys are cached and rate limits count in memory meanwhile.
        assert _served_model(client, project, key) == model
        assert client.get("/health").status_code == 503
        # A change made while the event stream is down...
        new_model = seeder.trained_model(
            project_id=project,
            file=artifacts.files["knn_small"],
            algorithm="CosineKNNRecommender",
        )
        seeder.update("deployments_deploymentslot", slot, trained_model_id=new_model)

        server.start()
        wait_for(listener.connected.is_set, timeout=5)
        # ...is picked up on reconnect, without waiting for the periodic refresh.
        wait_for(
            lambda: _served_model(client, project, key) == new_model,
            timeout=SWAP_SECONDS,
        )
        assert client.get("/health").status_code == 200

        seeder.update("deployments_deploymentslot", slot, trained_model_id=model)
        publish(SlotsChanged(project_id=project), redis_url=server.url)
        wait_for(lambda: _served_model(client, project, key) == model, timeout=SWAP_SECONDS)


def test_a_keys_ad_hoc_load_cannot_push_out_deployed_or_preloaded_models(
    serve: ServeFactory, world: World
) -> None:
    # The slot's model (knn) and the preloaded one (toppop) at least fill a two-model cache.
    with serve(max_loaded_models=2, preload_model_ids=[world.toppop_model_id]) as client:
        response = client.post(
            f"/predict/{world.other_model_id}",
            json={"user_id": "1"},
            headers=headers(world.other_key),
        )
        loaded = {model.model_id for model in runtime_of(client).models.loaded()}
        served = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1"},
            headers=headers(world.predict_key),
        )

    assert response.status_code == 503
    assert "not deployed to a slot" in response.json()["error"]["message"]
    assert response.headers["Retry-After"] == "30"
    # Other tests' active slots may add pinned models beyond the bound; never this one.
    assert {world.knn_model_id, world.toppop_model_id} <= loaded
    assert world.other_model_id not in loaded
    assert served.status_code == 200

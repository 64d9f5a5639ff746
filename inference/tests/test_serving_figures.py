"""Serving figures: every worker's requests, counted together in Redis."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from inference.serving import ServingRecorder
from recotem_common import serving
from recotem_common.redis_urls import MODEL_EVENTS_DB, redis_url_for_db
from testbed.seeder import Seeder
from tests.conftest import Artifacts, ServeFactory, World, headers, runtime_of

# A port nothing listens on, in this suite's loopback range.
UNREACHABLE = "127.0.9.13:1"


def _flush(client: TestClient) -> None:
    client.portal.call(runtime_of(client).serving.flush)  # type: ignore[union-attr]


def _forget_figures(project_id: int) -> None:
    """Drops counts kept under ``project_id`` by another suite sharing this Redis, whose
    database numbers its projects from 1 too."""
    url = redis_url_for_db(
        None, base_url=os.environ["REDIS_URL"], db=MODEL_EVENTS_DB, password=None
    )
    minutes = serving.keys_to_read(project_id, now=time.time(), minutes=serving.MAX_MINUTES)
    with redis.Redis.from_url(url) as connection:
        connection.delete(*minutes[:-1])


@pytest.fixture
def fresh_project(seeder: Seeder, world: World, artifacts: Artifacts) -> dict[str, Any]:
    """A project of its own, so other tests' requests never count in its figures."""
    project_id = seeder.project(owner_id=world.owner_id)
    model_id = seeder.trained_model(
        project_id=project_id, file=artifacts.files["knn"], algorithm="CosineKNNRecommender"
    )
    slot_id = seeder.slot(project_id=project_id, model_id=model_id, name="production")
    _, key = seeder.api_key(project_id=project_id, owner_id=world.owner_id)
    _, read_key = seeder.api_key(project_id=project_id, owner_id=world.owner_id, scopes=["read"])
    _forget_figures(project_id)
    return {
        "project_id": project_id,
        "model_id": model_id,
        "slot_id": slot_id,
        "key": key,
        "read_key": read_key,
    }


def test_figures_count_every_request_of_two_workers(
    serve: ServeFactory, world: World, fresh_project: dict[str, Any]
) -> None:
    project_id, model_id = fresh_project["project_id"], fresh_project["model_id"]
    key = headers(fresh_project["key"])
    user = {"user_id": "1"}
    with serve() as first, serve() as second:
        for _ in range(3):
            assert first.post(f"/predict/{model_id}", json=user, headers=key).status_code == 200
        for _ in range(2):
            answer = second.post(f"/predict/project/{project_id}", json=user, headers=key)
            assert answer.status_code == 200
        # Refused before its model is known: counts for the project, without a model.
        too_many = second.post(f"/predict/{model_id}", json={**user, "cutoff": 0}, headers=key)
        assert too_many.status_code == 400
        # Another project's model: 404, and no model of that project in these figures.
        foreign = first.post(f"/predict/{world.other_model_id}", json=user, headers=key)
        assert foreign.status_code == 404
        # Without a key no project is known: not counted here (Prometheus has it).
        assert first.post(f"/predict/{model_id}", json=user).status_code == 401
        # A read-only key may read the figures; reading them is no request of the model.
        _flush(first)
        _flush(second)
        answer = second.get("/serving?minutes=5", headers=headers(fresh_project["read_key"]))

    assert answer.status_code == 200
    figures = answer.json()
    assert figures["project_id"] == project_id
    assert figures["instances"] >= 2
    assert figures["uptime_seconds"] is not None
    totals = figures["totals"]
    assert (totals["requests"], totals["successes"], totals["errors"]) == (7, 5, 2)
    assert totals["statuses"] == {"200": 5, "400": 1, "404": 1}
    assert totals["error_codes"] == {"not_found": 1, "validation_error": 1}
    assert totals["error_rate"] == round(2 / 7, 4)
    assert 0 < totals["p50_ms"] <= totals["p99_ms"]

    by_slot = {slot["slot_id"]: slot for slot in figures["slots"]}
    assert set(by_slot) == {None, fresh_project["slot_id"]}
    assert by_slot[fresh_project["slot_id"]]["totals"]["requests"] == 2
    assert by_slot[fresh_project["slot_id"]]["model_ids"] == [model_id]
    assert by_slot[None]["totals"]["requests"] == 5
    assert len(by_slot[None]["minutes"]) == 5
    assert sum(minute["requests"] for minute in by_slot[None]["minutes"]) == 5

    by_model = {model["model_id"]: model["totals"] for model in figures["models"]}
    assert by_model == {
        model_id: {**by_model[model_id], "requests": 5, "successes": 5, "errors": 0},
        None: {**by_model[None], "requests": 2, "errors": 2},
    }


def test_figures_are_the_key_projects_only(
    client: TestClient, world: World, fresh_project: dict[str, Any]
) -> None:
    key = headers(fresh_project["key"])
    assert (
        client.post(
            f"/predict/{fresh_project['model_id']}", json={"user_id": "1"}, headers=key
        ).status_code
        == 200
    )
    _flush(client)

    other = client.get("/serving", headers=headers(world.other_key)).json()
    own = client.get("/serving", headers=key).json()

    assert other["project_id"] == world.other_project_id
    assert all(model["model_id"] != fresh_project["model_id"] for model in other["models"])
    assert own["totals"]["requests"] == 1
    assert client.get("/serving").status_code == 401
    assert client.get("/serving?minutes=0", headers=key).status_code == 400


def test_counts_stay_buffered_while_redis_is_unreachable() -> None:
    async def scenario() -> tuple[int, int]:
        unreachable = aioredis.from_url(f"redis://{UNREACHABLE}", socket_connect_timeout=0.2)
        recorder = ServingRecorder(redis=unreachable)
        for status in (200, 503):
            recorder.record(
                project_id=1,
                slot_id=None,
                model_id=2,
                status=status,
                error_code="service_unavailable" if status == 503 else None,
                elapsed_seconds=0.004,
            )
        before = recorder.pending
        await recorder.flush()
        await unreachable.aclose()
        return before, recorder.pending

    assert asyncio.run(scenario()) == (2, 2)

"""Per-key rate limits, shared by every worker through Redis."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from testbed.seeder import Seeder
from tests.conftest import ServeFactory, World, headers

SYNC_SECONDS = 0.02


def _predict(client: TestClient, world: World, key: str) -> Any:
    return client.post(
        f"/predict/{world.knn_model_id}", json={"user_id": "1"}, headers=headers(key)
    )


def test_the_limit_answers_429_in_the_envelope(
    serve: ServeFactory, world: World, seeder: Seeder
) -> None:
    _, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id)
    _, other_key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id)
    with serve(rate_limit="3/minute") as client:
        statuses = [_predict(client, world, key).status_code for _ in range(3)]
        throttled = _predict(client, world, key)
        unaffected = _predict(client, world, other_key)

    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    error = throttled.json()["error"]
    assert error["code"] == "throttled"
    assert "3 per 1 minute" in error["message"]
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert unaffected.status_code == 200


def test_workers_share_one_budget_per_key(
    serve: ServeFactory, world: World, seeder: Seeder
) -> None:
    _, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id)
    shared = {"rate_limit": "4/minute", "rate_limit_sync_seconds": SYNC_SECONDS}
    statuses = []
    with serve(**shared) as first, serve(**shared) as second:
        for worker in (first, second, first, second, first):
            statuses.append(_predict(worker, world, key).status_code)
            # Each worker learns the others' counts at its next merge with Redis.
            time.sleep(SYNC_SECONDS * 4)

    assert statuses == [200, 200, 200, 200, 429]


def test_a_worker_enforces_its_own_hits_without_waiting_for_redis(
    serve: ServeFactory, world: World, seeder: Seeder
) -> None:
    _, key = seeder.api_key(project_id=world.project_id, owner_id=world.owner_id)
    with serve(rate_limit="2/minute", rate_limit_sync_seconds=5.0) as client:
        statuses = [_predict(client, world, key).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]

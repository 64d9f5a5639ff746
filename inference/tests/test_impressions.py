"""Impressions are stored by the service itself, in batches, with the request id."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from testbed.seeder import Seeder
from tests.conftest import (
    Artifacts,
    MigratedDatabase,
    ServeFactory,
    World,
    headers,
    wait_for,
)


def _impression(database: MigratedDatabase, seeder: Seeder, request_id: str) -> Any:
    table = seeder.table("deployments_impression")
    stored = uuid.UUID(request_id)
    # Django keeps UUIDs as 32 hex characters on SQLite and as uuid on PostgreSQL.
    value: object = stored if database.django_url else stored.hex
    with database.engine.connect() as connection:
        return connection.execute(select(table).where(table.c.request_id == value)).first()


def test_project_predictions_are_recorded_within_a_second_or_so(
    serve: ServeFactory,
    world: World,
    seeder: Seeder,
    artifacts: Artifacts,
    database: MigratedDatabase,
) -> None:
    with serve() as client:
        body = client.post(
            f"/predict/project/{world.project_id}",
            json={"user_id": "1", "cutoff": 3},
            headers=headers(world.predict_key),
        ).json()

        wait_for(lambda: _impression(database, seeder, body["request_id"]), timeout=2.0)

    row = _impression(database, seeder, body["request_id"])
    assert row.project_id == world.project_id
    assert row.deployment_slot_id == body["slot_id"]
    assert row.trained_model_id == body["model_id"]
    assert row.user_id == "1"
    # jsonb comes back decoded; SQLite's text column as the JSON Django wrote.
    items = row.item_ids if isinstance(row.item_ids, list) else json.loads(row.item_ids)
    assert items == [item["item_id"] for item in body["items"]]
    assert row.timestamp is not None


def test_direct_predictions_are_recorded_without_a_slot(
    serve: ServeFactory, world: World, seeder: Seeder, database: MigratedDatabase
) -> None:
    with serve(impression_flush_seconds=1.0) as client:
        body = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "2"},
            headers=headers(world.predict_key),
        ).json()
    # Leaving the block shut the app down, which flushes what was still buffered.

    row = _impression(database, seeder, body["request_id"])
    assert row is not None
    assert row.deployment_slot_id is None
    assert row.trained_model_id == world.knn_model_id


def test_each_user_of_a_batch_is_an_impression_of_its_own(
    serve: ServeFactory, world: World, seeder: Seeder, database: MigratedDatabase
) -> None:
    with serve(impression_flush_seconds=1.0) as client:
        body = client.post(
            f"/predict/{world.knn_model_id}/batch",
            json={"user_ids": ["1", "2"], "cutoff": 3},
            headers=headers(world.predict_key),
        ).json()

    request_ids = [result["request_id"] for result in body["results"]]
    assert len(set(request_ids)) == 2
    assert body["request_id"] not in request_ids
    for result in body["results"]:
        row = _impression(database, seeder, result["request_id"])
        assert row.user_id == result["user_id"]
        assert row.trained_model_id == world.knn_model_id
        assert row.deployment_slot_id is None

"""Impressions are stored by the service itself, in batches, with the request id."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from testbed.seeder import Seeder
from tests.conftest import (
    Artifacts,
    MigratedDatabase,
    ServeFactory,
    World,
    headers,
    runtime_of,
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


def test_a_row_the_database_refuses_is_left_out_and_the_rest_of_its_batch_is_stored(
    serve: ServeFactory, world: World, seeder: Seeder, database: MigratedDatabase
) -> None:
    if not database.django_url:
        pytest.skip("PostgreSQL refuses NUL in text; SQLite stores it")
    with serve() as client:
        runtime = runtime_of(client)
        rejected_before = runtime.metrics.impressions_rejected._value.get()
        first, bad, last = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

        async def record_and_flush() -> None:
            # In the app's event loop, so the three rows are flushed together.
            for request_id, user_id in ((first, "1"), (bad, "nul\x00user"), (last, "3")):
                runtime.impressions.record(
                    request_id=request_id,
                    project_id=world.project_id,
                    slot_id=None,
                    model_id=world.knn_model_id,
                    user_id=user_id,
                    item_ids=["50"],
                )
            await runtime.impressions.flush()

        assert client.portal is not None
        client.portal.call(record_and_flush)

        assert runtime.impressions.pending == 0
        assert runtime.metrics.impressions_rejected._value.get() == rejected_before + 1
        # Later impressions of the same worker are stored as usual.
        body = client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "4"},
            headers=headers(world.predict_key),
        ).json()

    assert _impression(database, seeder, str(first)) is not None
    assert _impression(database, seeder, str(last)) is not None
    assert _impression(database, seeder, str(bad)) is None
    assert _impression(database, seeder, body["request_id"]) is not None


def test_every_answer_with_a_request_id_is_recorded_for_conversions(
    serve: ServeFactory, world: World, seeder: Seeder, database: MigratedDatabase
) -> None:
    key = headers(world.predict_key)
    model = world.knn_model_id
    with serve() as client:
        batch = client.post(f"/predict/{model}/batch", json={"user_ids": ["1", "2"]}, headers=key)
        profile = client.post(f"/predict/{model}/profile", json={"item_ids": ["50"]}, headers=key)
        similar = client.get(f"/similar/{model}/50", params={"cutoff": 3}, headers=key)
    # Leaving the block shut the app down, which flushes what was still buffered.

    first, second = batch.json()["results"]
    assert first["request_id"] != second["request_id"]
    for user_id, answer in (("1", first), ("2", second)):
        row = _impression(database, seeder, answer["request_id"])
        assert (row.user_id, row.trained_model_id) == (user_id, model)
    for answer in (profile.json(), similar.json()):
        row = _impression(database, seeder, answer["request_id"])
        assert row.user_id == ""
        items = row.item_ids if isinstance(row.item_ids, list) else json.loads(row.item_ids)
        assert items == [item["item_id"] for item in answer["items"]]

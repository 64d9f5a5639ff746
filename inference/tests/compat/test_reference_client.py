"""A client written from the reference's inference guide keeps working: the paths, the
fields it reads, ``detail`` on errors, and the keys the reference issued."""

from __future__ import annotations

import secrets
import uuid

from fastapi.testclient import TestClient

from recotem_common.api_keys import KEY_PREFIX
from testbed.seeder import Seeder
from tests.conftest import World, headers


def _is_request_id(value: object) -> bool:
    return isinstance(value, str) and uuid.UUID(value).version == 4


def test_predict_answers_items_model_id_and_request_id(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "cutoff": 5},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["model_id"] == world.knn_model_id
    assert _is_request_id(body["request_id"])
    assert len(body["items"]) == 5
    assert all(set(item) == {"item_id", "score"} for item in body["items"])


def test_each_batch_result_reads_like_a_single_prediction(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}/batch",
        json={"user_ids": ["1", "2", "3"], "cutoff": 3},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    for result in results:
        assert result["model_id"] == world.knn_model_id
        assert _is_request_id(result["request_id"])
        assert len(result["items"]) == 3
    assert len({result["request_id"] for result in results}) == 3


def test_project_prediction_names_the_slot(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/project/{world.project_id}",
        json={"user_id": "1", "cutoff": 2},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert {"items", "model_id", "slot_id", "slot_name", "request_id"} <= set(body)
    assert body["slot_name"] == "main"


def test_models_has_a_count_and_health_the_number_of_loaded_models(
    client: TestClient, world: World
) -> None:
    models = client.get("/models", headers=headers(world.predict_key)).json()
    health = client.get("/health").json()

    assert models["count"] == len(models["models"]) >= 1
    assert isinstance(health["loaded_models"], int)
    assert health["loaded_models"] >= models["count"]


def test_errors_carry_a_detail_string(client: TestClient, world: World) -> None:
    no_key = client.post(f"/predict/{world.knn_model_id}", json={"user_id": "1"})
    missing = client.post(
        "/predict/987654", json={"user_id": "1"}, headers=headers(world.predict_key)
    )
    invalid = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "cutoff": 0},
        headers=headers(world.predict_key),
    )

    assert no_key.status_code == 401
    assert missing.status_code == 404
    # Invalid bodies are 400 here, 422 in the reference (see the migration guide).
    assert invalid.status_code == 400
    for response in (no_key, missing, invalid):
        body = response.json()
        assert isinstance(body["detail"], str)
        assert body["detail"]
        assert body["detail"] == body["error"]["message"]


def test_a_key_issued_by_the_reference_predicts(
    client: TestClient, world: World, seeder: Seeder
) -> None:
    raw_key = KEY_PREFIX + secrets.token_urlsafe(48)
    seeder.api_key(project_id=world.project_id, owner_id=world.owner_id, raw_key=raw_key)

    response = client.post(
        f"/predict/{world.knn_model_id}", json={"user_id": "1"}, headers=headers(raw_key)
    )

    assert response.status_code == 200

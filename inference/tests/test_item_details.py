"""Item metadata fields in answers: every recommendation route, and the 400 for a field
the model's metadata does not have."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from testbed.seeder import Seeder
from testbed.world import ml100k_item_metadata
from tests.conftest import World, headers, runtime_of

FIELDS = ["title", "genres"]


def _expected(item_id: str) -> dict[str, Any]:
    metadata = ml100k_item_metadata()
    row = metadata.item_ids.index(item_id)
    return {name: metadata.fields[name][row] for name in FIELDS}


def _answers(client: TestClient, world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Each route's items, asked with ``body`` merged into its own request."""
    model = world.described_model_id
    key = headers(world.predict_key)
    single = client.post(f"/predict/{model}", json={"user_id": "1", **body}, headers=key)
    batch = client.post(f"/predict/{model}/batch", json={"user_ids": ["1"], **body}, headers=key)
    profile = client.post(
        f"/predict/{model}/profile", json={"item_ids": ["1", "50"], **body}, headers=key
    )
    similar = client.get(
        f"/similar/{model}/1", params={"fields": body.get("fields", [])}, headers=key
    )
    return {
        "single": single,
        "batch": batch,
        "profile": profile,
        "similar": similar,
    }


def test_every_route_returns_the_requested_fields_with_each_item(
    client: TestClient, world: World
) -> None:
    answers = _answers(client, world, {"fields": FIELDS})

    for name, response in answers.items():
        assert response.status_code == 200, (name, response.text)
        body = response.json()
        items = body["results"][0]["items"] if name == "batch" else body["items"]
        assert items, name
        for item in items:
            assert item["details"] == _expected(item["item_id"]), name


def test_without_fields_items_carry_no_details(client: TestClient, world: World) -> None:
    for name, response in _answers(client, world, {}).items():
        body = response.json()
        items = body["results"][0]["items"] if name == "batch" else body["items"]
        assert all("details" not in item for item in items), name


def test_project_route_returns_fields_of_the_slots_model(
    client: TestClient, world: World, seeder: Seeder
) -> None:
    project = seeder.project(owner_id=world.owner_id)
    model = seeder.trained_model(
        project_id=project, file="models/described.rctm", algorithm="CosineKNNRecommender"
    )
    seeder.slot(project_id=project, model_id=model, name="production")
    key = seeder.api_key(project_id=project, owner_id=world.owner_id)[1]

    response = client.post(
        f"/predict/project/{project}",
        json={"user_id": "1", "fields": ["title"]},
        headers=headers(key),
    )

    assert response.status_code == 200, response.text
    titles = [item["details"]["title"] for item in response.json()["items"]]
    assert titles == [_expected(item["item_id"])["title"] for item in response.json()["items"]]


@pytest.mark.parametrize("route", ["single", "batch", "profile", "similar"])
def test_an_unknown_field_is_a_400_listing_the_available_ones(
    client: TestClient, world: World, route: str
) -> None:
    response = _answers(client, world, {"fields": ["title", "director"]})[route]

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "director" in error["message"]
    assert "Available fields: title, release_date, genres." in error["message"]
    assert list(error["fields"]) == ["fields"]


def test_a_model_trained_without_metadata_says_how_to_get_fields(
    client: TestClient, world: World
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "fields": ["title"]},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "Available fields: none." in message
    assert "Upload item metadata" in message


def test_metadata_counts_in_the_models_cached_bytes(client: TestClient, world: World) -> None:
    client.post(
        f"/predict/{world.described_model_id}",
        json={"user_id": "1"},
        headers=headers(world.predict_key),
    )
    (listed,) = [
        model
        for model in client.get("/models", headers=headers(world.predict_key)).json()["models"]
        if model["model_id"] == world.described_model_id
    ]

    loaded = runtime_of(client).models.get(world.described_model_id)
    assert loaded is not None
    # 1,682 titles, dates and genre lists take well over 200 kB as Python objects.
    assert listed["nbytes"] - loaded.artifact.nbytes > 200_000

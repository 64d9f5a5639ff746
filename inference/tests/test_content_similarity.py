"""Content similarity: items the model never saw answered from item metadata, checked
against a direct computation on MovieLens 100K's genre flags."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from testbed.world import DESCRIBED_ITEMS, ML100K_DIR
from tests.conftest import World, headers

COLD_ITEM = str(DESCRIBED_ITEMS + 10)
KNOWN_ITEM = "50"


def _genre_neighbours(item_id: str, cutoff: int) -> list[tuple[str, float]]:
    """Cosine over ``u.item``'s 19 genre flags, best first, ties in file order, items
    with no genre in common left out."""
    lines = (ML100K_DIR / "u.item").read_text(encoding="latin-1").splitlines()
    ids = [line.split("|")[0] for line in lines]
    flags = np.array([[float(flag) for flag in line.split("|")[5:]] for line in lines])
    norms = np.linalg.norm(flags, axis=1)
    row = ids.index(item_id)
    cosine = flags @ flags[row] / np.where(norms == 0, 1, norms) / norms[row]
    cosine[row] = 0
    order = sorted((i for i in range(len(ids)) if cosine[i] > 0), key=lambda i: (-cosine[i], i))
    return [(ids[i], float(cosine[i])) for i in order[:cutoff]]


def _similar(client: TestClient, world: World, item_id: str, **params: Any) -> Any:
    return client.get(
        f"/similar/{world.described_model_id}/{item_id}",
        params=params,
        headers=headers(world.predict_key),
    )


def _pairs(body: dict[str, Any]) -> list[tuple[str, float]]:
    return [(item["item_id"], item["score"]) for item in body["items"]]


def test_a_cold_item_is_answered_from_its_genres_flagged_as_content_fallback(
    client: TestClient, world: World
) -> None:
    response = _similar(client, world, COLD_ITEM, content_fields="genres", cutoff=20)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["fallback"] == "content"
    assert body["method"] == "content"
    expected = _genre_neighbours(COLD_ITEM, 20)
    assert [item for item, _ in _pairs(body)] == [item for item, _ in expected]
    assert [score for _, score in _pairs(body)] == pytest.approx([s for _, s in expected])


def test_a_known_item_is_answered_by_the_model_unless_content_is_asked_for(
    client: TestClient, world: World
) -> None:
    by_model = _similar(client, world, KNOWN_ITEM).json()
    by_content = _similar(client, world, KNOWN_ITEM, method="content", content_fields="genres")

    assert (by_model["method"], by_model["fallback"]) == ("model", None)
    body = by_content.json()
    assert (body["method"], body["fallback"]) == ("content", None)
    expected = _genre_neighbours(KNOWN_ITEM, 10)
    assert [item for item, _ in _pairs(body)] == [item for item, _ in expected]
    assert _pairs(body) != _pairs(by_model)


def test_content_answers_honour_filters_and_carry_details(client: TestClient, world: World) -> None:
    first, second = (item for item, _ in _genre_neighbours(COLD_ITEM, 2))
    body = _similar(
        client,
        world,
        COLD_ITEM,
        content_fields="genres",
        exclude_items=[first],
        fields="genres",
    ).json()

    assert body["items"][0]["item_id"] == second
    assert first not in [item["item_id"] for item in body["items"]]
    assert all(item["details"]["genres"] for item in body["items"])
    allowed = _similar(client, world, COLD_ITEM, allow_items=["1", "2"]).json()
    assert {item["item_id"] for item in allowed["items"]} <= {"1", "2"}


def test_every_comparable_field_is_used_by_default(client: TestClient, world: World) -> None:
    by_genres = _similar(client, world, COLD_ITEM, content_fields="genres").json()
    by_all = _similar(client, world, COLD_ITEM).json()

    assert _pairs(by_all) != _pairs(by_genres)
    assert all(0 < score <= 1 + 1e-9 for _, score in _pairs(by_all))


def test_the_model_alone_does_not_know_a_cold_item(client: TestClient, world: World) -> None:
    response = _similar(client, world, COLD_ITEM, method="model")

    assert response.status_code == 404
    assert "not known to model" in response.json()["error"]["message"]


def test_an_item_without_metadata_or_interactions_is_404(client: TestClient, world: World) -> None:
    for method in ("auto", "content"):
        response = _similar(client, world, "no-such-movie", method=method)
        assert response.status_code == 404, method


def test_an_unknown_content_field_is_a_400_naming_the_comparable_ones(
    client: TestClient, world: World
) -> None:
    response = _similar(client, world, COLD_ITEM, content_fields="director")

    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["content_fields"]
    assert "Available fields: title, release_date, genres." in error["message"]


def test_content_similarity_on_a_model_without_metadata_is_a_400(
    client: TestClient, world: World
) -> None:
    response = client.get(
        f"/similar/{world.knn_model_id}/{KNOWN_ITEM}",
        params={"method": "content"},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 400
    assert "carries no item metadata" in response.json()["error"]["message"]


def test_an_unknown_method_is_a_400(client: TestClient, world: World) -> None:
    response = _similar(client, world, KNOWN_ITEM, method="magic")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["method"]

"""One model's answers: single, batch, profile, similar; filters and fallback."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Artifacts, World, headers


def _items(response_items: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(item["item_id"], item["score"]) for item in response_items]


def _ids(response_items: list[dict[str, object]]) -> list[object]:
    return [item["item_id"] for item in response_items]


def _seen(artifacts: Artifacts, user_id: str) -> set[str]:
    everything = artifacts.models["knn"].recommend_users(
        [user_id], len(artifacts.item_ids), exclude_seen=False
    )[0]
    unseen = artifacts.models["knn"].recommend_users([user_id], len(artifacts.item_ids))[0]
    assert everything is not None
    assert unseen is not None
    return {item for item, _ in everything} - {item for item, _ in unseen}


def test_predict_returns_the_models_top_items(
    client: TestClient, world: World, artifacts: Artifacts
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "cutoff": 10},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["model_id"] == world.knn_model_id
    assert body["user_id"] == "1"
    assert body["fallback"] is None
    assert body["request_id"]
    expected = artifacts.models["knn"].recommend_users(["1"], 10)[0]
    assert _items(body["items"]) == [(item, score) for item, score in expected or []]


def test_numeric_user_ids_mean_the_same_user(client: TestClient, world: World) -> None:
    as_text = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "7"},
        headers=headers(world.predict_key),
    )
    as_number = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": 7},
        headers=headers(world.predict_key),
    )

    assert as_number.status_code == 200
    assert _ids(as_number.json()["items"]) == _ids(as_text.json()["items"])
    assert len(as_number.json()["items"]) == 10


def test_seen_items_are_excluded_unless_asked(
    client: TestClient, world: World, artifacts: Artifacts
) -> None:
    seen = _seen(artifacts, "1")
    default = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "cutoff": 50},
        headers=headers(world.predict_key),
    ).json()
    with_seen = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "cutoff": 50, "exclude_seen": False},
        headers=headers(world.predict_key),
    ).json()

    assert not seen & set(_ids(default["items"]))
    assert seen & set(_ids(with_seen["items"]))


def test_exclude_and_allow_lists_filter_the_answer(client: TestClient, world: World) -> None:
    top = _ids(
        client.post(
            f"/predict/{world.knn_model_id}",
            json={"user_id": "1", "cutoff": 5},
            headers=headers(world.predict_key),
        ).json()["items"]
    )
    excluded = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1", "cutoff": 5, "exclude_items": top[:2]},
        headers=headers(world.predict_key),
    ).json()
    allowed = client.post(
        f"/predict/{world.knn_model_id}",
        json={
            "user_id": "1",
            "cutoff": 5,
            "allow_items": [top[3], top[1], "no-such-item"],
        },
        headers=headers(world.predict_key),
    ).json()

    assert not set(top[:2]) & set(_ids(excluded["items"]))
    assert _ids(excluded["items"])[:3] == top[2:5]
    assert _ids(allowed["items"]) == [top[1], top[3]]


def test_unknown_user_gets_popular_items_flagged_as_fallback(
    client: TestClient, world: World, artifacts: Artifacts
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "somebody-new", "cutoff": 5, "exclude_items": ["50"]},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["fallback"] == "popular"
    expected = artifacts.models["knn"].popular_items(5, exclude_items=["50"])
    assert _items(body["items"]) == [(item, score) for item, score in expected]


def test_unknown_user_answers_404_when_the_request_asks_for_it(
    client: TestClient, world: World
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "somebody-new", "unknown_user": "error"},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "somebody-new" in response.json()["error"]["message"]


def test_batch_answers_every_user_in_order_with_its_user_id(
    client: TestClient, world: World, artifacts: Artifacts
) -> None:
    users = ["1", "2", "stranger", 3]
    response = client.post(
        f"/predict/{world.knn_model_id}/batch",
        json={"user_ids": users, "cutoff": 4, "exclude_items": ["50"]},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["model_id"] == world.knn_model_id
    assert [r["user_id"] for r in body["results"]] == ["1", "2", "stranger", "3"]
    assert len({r["request_id"] for r in body["results"]}) == len(users)
    knn = artifacts.models["knn"]
    for result in body["results"]:
        assert result["model_id"] == world.knn_model_id
        if result["user_id"] == "stranger":
            assert result["fallback"] == "popular"
            expected = knn.popular_items(4, exclude_items=["50"])
        else:
            assert result["fallback"] is None
            expected = knn.recommend_users([result["user_id"]], 4, exclude_items=["50"])[0]
        assert _items(result["items"]) == [(i, s) for i, s in expected or []]


def test_batch_with_error_mode_names_the_unknown_users(client: TestClient, world: World) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}/batch",
        json={"user_ids": ["1", "ghost"], "unknown_user": "error"},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 404
    assert "'ghost'" in response.json()["error"]["message"]


def test_profile_recommends_for_a_user_known_only_by_items(
    client: TestClient, world: World, artifacts: Artifacts
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}/profile",
        json={"item_ids": ["50", 181, "unknown-item"], "cutoff": 5},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["fallback"] is None
    expected = artifacts.models["knn"].recommend_profile(["50", "181"], 5)
    assert _items(body["items"]) == [(item, score) for item, score in expected]
    assert not {"50", "181"} & set(_ids(body["items"]))


def test_profile_of_only_unknown_items_falls_back_to_popular(
    client: TestClient, world: World
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}/profile",
        json={"item_ids": ["nope"], "cutoff": 3},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    assert response.json()["fallback"] == "popular"
    assert len(response.json()["items"]) == 3


def test_similar_items_never_include_the_item_itself(
    client: TestClient, world: World, artifacts: Artifacts
) -> None:
    response = client.get(
        f"/similar/{world.knn_model_id}/50",
        params={"cutoff": 5},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 200
    body = response.json()
    assert body["item_id"] == "50"
    expected = artifacts.models["knn"].similar_items("50", 5)
    assert _items(body["items"]) == [(item, score) for item, score in expected or []]
    assert "50" not in _ids(body["items"])


def test_similar_items_honour_exclude_and_allow(client: TestClient, world: World) -> None:
    top = _ids(
        client.get(f"/similar/{world.knn_model_id}/50", headers=headers(world.predict_key)).json()[
            "items"
        ]
    )
    filtered = client.get(
        f"/similar/{world.knn_model_id}/50",
        params=[
            ("exclude_items", top[0]),
            ("allow_items", top[0]),
            ("allow_items", top[2]),
        ],
        headers=headers(world.predict_key),
    ).json()

    assert _ids(filtered["items"]) == [top[2]]


def test_similar_to_an_unknown_item_is_404(client: TestClient, world: World) -> None:
    response = client.get(
        f"/similar/{world.knn_model_id}/no-such-item",
        headers=headers(world.predict_key),
    )

    assert response.status_code == 404
    assert "no-such-item" in response.json()["error"]["message"]


def test_similar_on_a_model_without_similarity_is_a_clear_400(
    client: TestClient, world: World
) -> None:
    response = client.get(
        f"/similar/{world.toppop_model_id}/50", headers=headers(world.predict_key)
    )

    assert response.status_code == 400
    assert "TopPopRecommender" in response.json()["error"]["message"]


def test_ids_with_control_characters_are_refused_with_422_naming_the_id(
    client: TestClient, world: World
) -> None:
    model = world.knn_model_id
    key = headers(world.predict_key)
    probes = {
        "user_id": client.post(f"/predict/{model}", json={"user_id": "1\x00"}, headers=key),
        "user_ids.1": client.post(
            f"/predict/{model}/batch", json={"user_ids": ["1", "2\n"]}, headers=key
        ),
        "item_ids.0": client.post(
            f"/predict/{model}/profile", json={"item_ids": ["\x1b[31m"]}, headers=key
        ),
        "exclude_items.0": client.post(
            f"/predict/{model}", json={"user_id": "1", "exclude_items": ["\x7f"]}, headers=key
        ),
        "item_id": client.get(f"/similar/{model}/50%00", headers=key),
        "allow_items.0": client.get(
            f"/similar/{model}/50", params={"allow_items": "1\t"}, headers=key
        ),
    }

    for field, response in probes.items():
        assert response.status_code == 422, (field, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert "control characters" in error["fields"][field][0]
        assert "control characters" in error["message"]


def test_a_control_character_among_other_mistakes_is_a_400(
    client: TestClient, world: World
) -> None:
    response = client.post(
        f"/predict/{world.knn_model_id}",
        json={"user_id": "1\x00", "cutoff": 0},
        headers=headers(world.predict_key),
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"user_id", "cutoff"}

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import EvaluationConfigFactory, SplitConfigFactory


def test_a_split_config_belongs_to_its_creator(
    client: APIClient, user: Any, other_user: Any
) -> None:
    response = client.post(
        "/api/v1/split_config/",
        {"scheme": "TU", "n_heldout": 5, "test_user_ratio": 0.5, "created_by": other_user.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["created_by"] == user.pk
    assert response.json()["heldout_ratio"] == 0.1
    assert response.json()["random_seed"] == 42


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"heldout_ratio": 1.5}, "heldout_ratio"),
        ({"heldout_ratio": -0.1}, "heldout_ratio"),
        ({"test_user_ratio": 2}, "test_user_ratio"),
        ({"n_heldout": 0}, "n_heldout"),
        ({"n_test_users": 0}, "n_test_users"),
        ({"scheme": "XX"}, "scheme"),
        ({"heldout_ratio": 0}, "heldout_ratio"),
        ({"test_user_ratio": 0}, "test_user_ratio"),
    ],
)
def test_split_values_out_of_range_are_refused(
    client: APIClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/split_config/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_zero_ratio_is_fine_when_a_count_is_given(client: APIClient) -> None:
    response = client.post(
        "/api/v1/split_config/",
        {"heldout_ratio": 0, "n_heldout": 3, "test_user_ratio": 0, "n_test_users": 50},
        format="json",
    )

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cutoff": 0}, "cutoff"),
        ({"cutoff": -5}, "cutoff"),
        ({"target_metric": "auc"}, "target_metric"),
    ],
)
def test_bad_evaluation_values_are_refused(
    client: APIClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/evaluation_config/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_evaluation_configs_of_other_users_are_invisible(
    client: APIClient, user: Any, other_user: Any
) -> None:
    mine = EvaluationConfigFactory(created_by=user)
    theirs = EvaluationConfigFactory(created_by=other_user)
    SplitConfigFactory(created_by=other_user)

    listed = client.get("/api/v1/evaluation_config/").json()

    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert client.get(f"/api/v1/evaluation_config/{theirs.pk}/").status_code == 404
    assert client.get("/api/v1/split_config/").json()["count"] == 0


def test_updating_a_split_keeps_the_rules(client: APIClient, user: Any) -> None:
    split = SplitConfigFactory(created_by=user, heldout_ratio=0.2, n_heldout=None)

    response = client.patch(
        f"/api/v1/split_config/{split.pk}/", {"heldout_ratio": 0}, format="json"
    )

    assert response.status_code == 400
    assert "n_heldout" in response.json()["error"]["message"]

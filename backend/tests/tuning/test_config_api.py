from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    EvaluationConfigFactory,
    ParameterTuningJobFactory,
    ProjectFactory,
    SplitConfigFactory,
    TrainingDataFactory,
    issue_api_key,
)


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


@pytest.mark.parametrize(
    ("route", "factory", "patch"),
    [
        ("split_config", SplitConfigFactory, {"heldout_ratio": 0.5}),
        ("evaluation_config", EvaluationConfigFactory, {"cutoff": 5}),
    ],
)
def test_a_config_a_job_used_is_read_only(
    client: APIClient, user: Any, route: str, factory: Any, patch: dict[str, Any]
) -> None:
    job = ParameterTuningJobFactory(data=TrainingDataFactory(project=ProjectFactory(owner=user)))
    config = getattr(job, "split" if route == "split_config" else "evaluation")
    before = {field: getattr(config, field) for field in patch}

    patched = client.patch(f"/api/v1/{route}/{config.pk}/", patch, format="json")
    deleted = client.delete(f"/api/v1/{route}/{config.pk}/")

    for response in (patched, deleted):
        assert response.status_code == 409
        message = response.json()["error"]["message"]
        assert f"tuning job {job.pk}" in message
        assert "Create a new" in message
    config.refresh_from_db()
    assert {field: getattr(config, field) for field in patch} == before
    unused = factory(created_by=user)
    assert client.patch(f"/api/v1/{route}/{unused.pk}/", patch, format="json").status_code == 200
    assert client.delete(f"/api/v1/{route}/{unused.pk}/").status_code == 204


def test_an_api_key_sees_only_the_configs_of_its_project(user: Any) -> None:
    mine = ProjectFactory(owner=user)
    theirs = ProjectFactory(owner=user)
    my_job = ParameterTuningJobFactory(data=TrainingDataFactory(project=mine))
    their_job = ParameterTuningJobFactory(data=TrainingDataFactory(project=theirs))
    unused = SplitConfigFactory(created_by=user)
    strangers = SplitConfigFactory()
    _, raw_key = issue_api_key(project=mine, scopes=("read", "write"))
    key_client = APIClient()
    key_client.credentials(HTTP_X_API_KEY=raw_key)

    listed = key_client.get("/api/v1/split_config/").json()["results"]
    theirs_detail = key_client.get(f"/api/v1/split_config/{their_job.split_id}/")
    theirs_patch = key_client.patch(
        f"/api/v1/evaluation_config/{their_job.evaluation_id}/", {"cutoff": 1}, format="json"
    )

    assert {config["id"] for config in listed} == {my_job.split_id, unused.pk}
    assert strangers.pk not in {config["id"] for config in listed}
    assert theirs_detail.status_code == 404
    assert theirs_patch.status_code == 404
    their_job.evaluation.refresh_from_db()
    assert their_job.evaluation.cutoff == 10

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from projects.models import Project, TrainingData, ValidationStatus
from tests.factories import (
    DeploymentSlotFactory,
    ModelConfigurationFactory,
    ProjectFactory,
    TrainedModelFactory,
    TrainingDataFactory,
    issue_api_key,
)

pytestmark = pytest.mark.django_db

NEW_PROJECT = {
    "name": "movies",
    "user_column": "user_id",
    "item_column": "item_id",
    "time_column": "timestamp",
}


def test_create_project_sets_owner_to_requester(client: APIClient, user: Any) -> None:
    response = client.post("/api/v1/project/", NEW_PROJECT)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == user.pk
    assert {k: body[k] for k in NEW_PROJECT} == NEW_PROJECT
    assert Project.objects.get(pk=body["id"]).owner == user


def test_owner_in_the_payload_is_ignored(client: APIClient, user: Any, other_user: Any) -> None:
    response = client.post("/api/v1/project/", {**NEW_PROJECT, "owner": other_user.pk})

    assert response.status_code == 201
    assert response.json()["owner"] == user.pk


def test_time_column_is_optional_and_blank_means_none(client: APIClient) -> None:
    response = client.post("/api/v1/project/", {**NEW_PROJECT, "time_column": ""})

    assert response.status_code == 201
    assert response.json()["time_column"] is None


def test_duplicate_name_for_the_same_owner_is_a_400(client: APIClient) -> None:
    client.post("/api/v1/project/", NEW_PROJECT)

    response = client.post("/api/v1/project/", NEW_PROJECT)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "You already have a project named 'movies'."
    assert "name" in error["fields"]


def test_same_name_for_different_owners_is_fine(client: APIClient, other_user: Any) -> None:
    ProjectFactory(owner=other_user, name="movies")

    assert client.post("/api/v1/project/", NEW_PROJECT).status_code == 201


def test_renaming_onto_an_existing_name_is_a_400(client: APIClient, user: Any) -> None:
    ProjectFactory(owner=user, name="taken")
    project = ProjectFactory(owner=user, name="free")

    response = client.patch(f"/api/v1/project/{project.pk}/", {"name": "taken"})

    assert response.status_code == 400
    assert "already have a project named 'taken'" in response.json()["error"]["message"]


@pytest.mark.parametrize("field", ["user_column", "item_column", "name"])
@pytest.mark.parametrize("value", ["", "   "])
def test_blank_names_are_refused(client: APIClient, field: str, value: str) -> None:
    response = client.post("/api/v1/project/", {**NEW_PROJECT, field: value})

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_user_and_item_column_must_differ(client: APIClient) -> None:
    response = client.post(
        "/api/v1/project/", {**NEW_PROJECT, "user_column": "id", "item_column": "id"}
    )

    assert response.status_code == 400
    assert "must be different" in response.json()["error"]["message"]


def test_time_column_must_differ_from_the_id_columns(client: APIClient) -> None:
    response = client.post("/api/v1/project/", {**NEW_PROJECT, "time_column": "item_id"})

    assert response.status_code == 400
    assert "time column" in response.json()["error"]["message"]


def test_list_shows_only_own_projects(client: APIClient, user: Any, other_user: Any) -> None:
    mine = ProjectFactory(owner=user)
    ProjectFactory(owner=other_user)

    body = client.get("/api/v1/project/").json()

    assert body["count"] == 1
    assert [p["id"] for p in body["results"]] == [mine.pk]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_project_answers_404(client: APIClient, other_user: Any, method: str) -> None:
    theirs = ProjectFactory(owner=other_user)

    response = getattr(client, method)(f"/api/v1/project/{theirs.pk}/")

    assert response.status_code == 404
    assert Project.objects.filter(pk=theirs.pk).exists()


def test_staff_see_every_project(staff_user: Any, user: Any, other_user: Any) -> None:
    ProjectFactory(owner=user)
    ProjectFactory(owner=other_user)
    staff = APIClient()
    staff.force_authenticate(staff_user)

    assert staff.get("/api/v1/project/").json()["count"] == 2


def test_filter_and_order(client: APIClient, user: Any) -> None:
    for name in ("beta", "alpha", "gamma"):
        ProjectFactory(owner=user, name=name)

    ordered = client.get("/api/v1/project/?ordering=name").json()["results"]
    filtered = client.get("/api/v1/project/?name__icontains=amm").json()["results"]

    assert [p["name"] for p in ordered] == ["alpha", "beta", "gamma"]
    assert [p["name"] for p in filtered] == ["gamma"]


def test_renaming_keeps_columns_and_owner(client: APIClient, project: Project) -> None:
    response = client.patch(f"/api/v1/project/{project.pk}/", {"name": "renamed"})

    assert response.status_code == 200
    project.refresh_from_db()
    assert project.name == "renamed"
    assert project.user_column == "user_id"


def test_changing_columns_revalidates_uploads(
    client: APIClient, project: Project, django_capture_on_commit_callbacks: Any
) -> None:
    data = TrainingDataFactory(project=project, file="uploads/x.csv")

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.patch(f"/api/v1/project/{project.pk}/", {"user_column": "uid"})

    assert response.status_code == 200
    data.refresh_from_db()
    assert data.validation_status == ValidationStatus.PENDING
    assert len(callbacks) == 1


def test_columns_cannot_change_once_a_model_was_trained(
    client: APIClient, project: Project
) -> None:
    TrainedModelFactory(project=project)

    response = client.patch(f"/api/v1/project/{project.pk}/", {"item_column": "movie"})

    assert response.status_code == 409
    assert "cannot change" in response.json()["error"]["message"]


def test_deleting_a_project_removes_everything_it_holds(
    client: APIClient, project: Project
) -> None:
    DeploymentSlotFactory(project=project)

    response = client.delete(f"/api/v1/project/{project.pk}/")

    assert response.status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not TrainingData.objects.filter(project_id=project.pk).exists()


def test_an_api_key_cannot_create_or_delete_projects(project: Project) -> None:
    _, secret = issue_api_key(project=project, scopes=("write",))
    key_client = APIClient()
    key_client.credentials(HTTP_X_API_KEY=secret)

    assert key_client.post("/api/v1/project/", NEW_PROJECT).status_code == 403
    assert key_client.delete(f"/api/v1/project/{project.pk}/").status_code == 403
    assert key_client.get("/api/v1/project/").json()["count"] == 1


def test_summary_counts_everything_of_the_project(
    client: APIClient, project: Project, user: Any, tuning_job: Any
) -> None:
    # The slot brings its own VALID training data, configuration and COMPLETED model.
    DeploymentSlotFactory(project=project, is_active=False)
    older = TrainingDataFactory(project=project)
    ModelConfigurationFactory(project=project)
    TrainedModelFactory(project=project, data_loc=older)
    TrainedModelFactory(project=project, data_loc=older, status="FAILED")
    latest = TrainingDataFactory(
        project=project,
        validation_status=ValidationStatus.INVALID,
        n_rows=None,
        n_users=None,
        n_items=None,
    )
    tuning_job(older, "COMPLETED")
    tuning_job(older, "COMPLETED")
    tuning_job(older, "RUNNING")
    issue_api_key(project=project)
    revoked, _ = issue_api_key(project=project)
    revoked.is_active = False
    revoked.save()
    # Another project's rows must not leak into the counts.
    other = ProjectFactory(owner=user)
    TrainedModelFactory(project=other)
    tuning_job(TrainingDataFactory(project=other), "COMPLETED")

    response = client.get(f"/api/v1/project_summary/{project.pk}/")

    assert response.status_code == 200
    summary = response.json()
    assert summary["n_data"] == 3
    assert summary["n_valid_data"] == 2
    assert summary["n_item_meta_data"] == 0
    assert summary["n_model_configurations"] == 4
    assert summary["n_models"] == 2
    assert summary["n_tuning_jobs"] == 3
    assert summary["n_complete_jobs"] == 2
    assert summary["tuning_jobs_by_status"]["RUNNING"] == 1
    assert summary["tuning_jobs_by_status"]["FAILED"] == 0
    assert summary["n_deployment_slots"] == 1
    assert summary["n_active_deployment_slots"] == 0
    assert summary["n_api_keys"] == 2
    assert summary["n_active_api_keys"] == 1
    assert summary["latest_training_data"]["id"] == latest.pk
    assert summary["latest_training_data"]["validation_status"] == "INVALID"


def test_summary_of_an_empty_project(client: APIClient, project: Project) -> None:
    summary = client.get(f"/api/v1/project_summary/{project.pk}/").json()

    assert summary["n_data"] == 0
    assert summary["n_models"] == 0
    assert summary["latest_training_data"] is None


def test_summary_of_another_users_project_is_404(client: APIClient, other_user: Any) -> None:
    theirs = ProjectFactory(owner=other_user)

    assert client.get(f"/api/v1/project_summary/{theirs.pk}/").status_code == 404
    assert client.get("/api/v1/project_summary/999999/").status_code == 404

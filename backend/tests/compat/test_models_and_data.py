"""Trained models, tuning jobs, configurations and uploads as the reference's clients
read and change them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.models import JobStatus
from projects.models import TrainingData
from projects.services import training_data_validate
from tests.compat.conftest import API
from tests.factories import (
    ModelConfigurationFactory,
    ParameterTuningJobFactory,
    TrainingDataFactory,
)
from training import services
from training.artifacts import artifact_cache
from training.models import TrainedModel

CSV = b"user_id,item_id,timestamp\n1,10,2024-01-01\n1,11,2024-01-02\n2,10,2024-01-03\n"


@pytest.fixture
def trained(ml100k_data: TrainingData, django_capture_on_commit_callbacks: Any) -> TrainedModel:
    artifact_cache.clear()
    configuration = ModelConfigurationFactory(
        project=ml100k_data.project, recommender_class_name="CosineKNNRecommender"
    )
    with django_capture_on_commit_callbacks(execute=True):
        model = services.trained_model_create(
            configuration=configuration, data=ml100k_data, queue=False
        )
        return services.trained_model_train(model_id=model.pk)


def test_recommendation_answers_ours_by_default_and_the_reference_list_when_asked(
    reference_client: APIClient, trained: TrainedModel
) -> None:
    url = f"{API}/trained_model/{trained.pk}/recommendation/"

    ours = reference_client.get(url, {"user_id": "1", "cutoff": 5})
    listed = reference_client.get(url, {"user_id": "1", "cutoff": 5, "shape": "list"})
    wrong = reference_client.get(url, {"user_id": "1", "shape": "table"})

    assert ours.status_code == 200
    assert set(ours.json()) == {"user_id", "user_profile", "recommendations"}
    assert listed.status_code == 200
    assert listed.json() == ours.json()["recommendations"]
    assert [set(row) for row in listed.json()] == [{"item_id", "score"}] * 5
    assert wrong.status_code == 400
    assert "shape" in wrong.json()["error"]["fields"]


def test_a_trained_model_has_a_basename_and_task_links(
    reference_client: APIClient, trained: TrainedModel
) -> None:
    trained.task_id = "celery-task-1"
    trained.save(update_fields=["task_id"])

    body = reference_client.get(f"{API}/trained_model/{trained.pk}/").json()

    assert body["basename"] == f"recotem-model-{trained.pk}-{trained.version_tag}.rctm"
    assert body["task_links"] == [
        {
            "task": {
                "task_id": "celery-task-1",
                "status": "SUCCESS",
                "date_created": body["started_at"],
                "date_done": body["finished_at"],
            }
        }
    ]


def test_patch_renames_a_trained_model_and_its_download(
    reference_client: APIClient, trained: TrainedModel
) -> None:
    url = f"{API}/trained_model/{trained.pk}/"

    renamed = reference_client.patch(url, {"basename": "movies-v1.rctm"}, format="json")
    download = reference_client.get(f"{url}download_file/")

    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["basename"] == "movies-v1.rctm"
    assert 'filename="movies-v1.rctm"' in download["Content-Disposition"]
    b"".join(download.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"basename": "../elsewhere"}, "basename"),
        ({"basename": " "}, "basename"),
        ({"basename": "a\x07b"}, "basename"),
        ({"basename": "fine.csv", "project": 3}, "project"),
        ({}, "basename"),
    ],
)
def test_patch_refuses_bad_names_and_other_fields(
    reference_client: APIClient, project: Any, body: dict[str, Any], field: str
) -> None:
    data = TrainingDataFactory(project=project, basename="before.csv")

    response = reference_client.patch(f"{API}/training_data/{data.pk}/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    data.refresh_from_db()
    assert data.basename == "before.csv"


@pytest.mark.parametrize("endpoint", ["training_data", "item_meta_data"])
def test_patch_renames_an_upload(reference_client: APIClient, project: Any, endpoint: str) -> None:
    created = reference_client.post(
        f"{API}/{endpoint}/",
        {"project": project.pk, "file": SimpleUploadedFile("first.csv", CSV)},
        format="multipart",
    )
    url = f"{API}/{endpoint}/{created.json()['id']}/"

    renamed = reference_client.patch(url, {"basename": "renamed.csv"}, format="json")

    assert renamed.status_code == 200
    assert renamed.json()["basename"] == "renamed.csv"
    assert reference_client.get(url).json()["basename"] == "renamed.csv"


def test_a_tuning_job_has_a_basename_and_task_links(
    reference_client: APIClient, project: Any
) -> None:
    data = TrainingDataFactory(project=project, basename="ratings.csv")
    job = ParameterTuningJobFactory(data=data, status=JobStatus.FAILED, task_ids=["t-1", "t-2"])

    body = reference_client.get(f"{API}/parameter_tuning_job/{job.pk}/").json()

    assert body["basename"] == "ratings.csv"
    assert [link["task"]["task_id"] for link in body["task_links"]] == ["t-1", "t-2"]
    assert {link["task"]["status"] for link in body["task_links"]} == {"FAILURE"}


def test_a_model_configuration_names_the_tuning_job_that_found_it(
    reference_client: APIClient, project: Any
) -> None:
    found = ModelConfigurationFactory(project=project)
    by_hand = ModelConfigurationFactory(project=project)
    job = ParameterTuningJobFactory(data=TrainingDataFactory(project=project), best_config=found)

    rows = reference_client.get(f"{API}/model_configuration/", {"project": project.pk}).json()

    by_id = {row["id"]: row for row in rows["results"]}
    assert by_id[found.pk]["tuning_job"] == job.pk
    assert by_id[by_hand.pk]["tuning_job"] is None


def test_the_preview_counts_the_rows_of_the_whole_file(
    reference_client: APIClient, project: Any
) -> None:
    created = reference_client.post(
        f"{API}/training_data/",
        {"project": project.pk, "file": SimpleUploadedFile("few.csv", CSV)},
        format="multipart",
    )
    data_id = created.json()["id"]
    training_data_validate(training_data_id=data_id)

    preview = reference_client.get(f"{API}/training_data/{data_id}/preview/", {"n_rows": 1})

    assert preview.status_code == 200
    assert len(preview.json()["rows"]) == 1
    assert preview.json()["total_rows"] == 3


@pytest.mark.parametrize("method", ["post", "delete"])
def test_unlink_file_takes_delete_as_the_reference_sent_it(
    reference_client: APIClient, project: Any, method: str
) -> None:
    created = reference_client.post(
        f"{API}/training_data/",
        {"project": project.pk, "file": SimpleUploadedFile("gone.csv", CSV)},
        format="multipart",
    )
    url = f"{API}/training_data/{created.json()['id']}/"

    response = getattr(reference_client, method)(f"{url}unlink_file/")

    assert response.status_code == 200
    assert response.json()["basename"] == "gone.csv"
    assert reference_client.get(f"{url}download_file/").status_code == 404

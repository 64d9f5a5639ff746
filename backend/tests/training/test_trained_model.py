from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from core.models import JobStatus
from projects.models import ItemMetaData, TrainingData, ValidationStatus
from realtime.models import TaskLog
from recotem_common.artifact import read_artifact
from recotem_common.events import ModelTrained
from tests.conftest import SentTask
from tests.factories import (
    DeploymentSlotFactory,
    ModelConfigurationFactory,
    ProjectFactory,
    TrainedModelFactory,
    TrainingDataFactory,
)
from training import services
from training.artifacts import artifact_cache, model_signing_keys
from training.models import TrainedModel

URL = "/api/v1/trained_model/"


@pytest.fixture(autouse=True)
def _fresh_artifact_cache() -> None:
    artifact_cache.clear()


def _train(
    data: TrainingData, class_name: str = "CosineKNNRecommender", **params: Any
) -> TrainedModel:
    configuration = ModelConfigurationFactory(
        project=data.project, recommender_class_name=class_name, parameters_json=params
    )
    model = services.trained_model_create(configuration=configuration, data=data, queue=False)
    return services.trained_model_train(model_id=model.pk)


@pytest.fixture
def trained(ml100k_data: TrainingData, django_capture_on_commit_callbacks: Any) -> TrainedModel:
    with django_capture_on_commit_callbacks(execute=True):
        return _train(ml100k_data, top_k=50)


def test_training_writes_a_signed_artifact_with_holdout_metrics(
    ml100k_data: TrainingData, model_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        model = _train(ml100k_data, top_k=50)

    assert model.status == JobStatus.COMPLETED, model.error_message
    assert model.version_tag == "v1"
    assert model.training_time > 0
    assert model.irspack_version == "0.5.2"
    assert 0 < model.metrics_json["ndcg@10"] < 1
    assert set(model.metrics_json) >= {"recall@20", "map@10", "hit@10", "precision@20"}
    with default_storage.open(model.file.name, "rb") as handle:
        content = handle.read()
    assert model.filesize == len(content)
    artifact = read_artifact(content, model_signing_keys())
    assert artifact.manifest["metrics"] == model.metrics_json
    assert artifact.manifest["data_fingerprint"] == (ml100k_data.fingerprint or None)
    assert artifact.manifest["parameters"]["top_k"] == 50
    assert artifact.n_users == 943
    assert model_events() == [ModelTrained(model_id=model.pk, project_id=ml100k_data.project_id)]
    assert [log.contents for log in TaskLog.objects.filter(trained_model=model)][-1].startswith(
        "Model v1 trained"
    )


def test_version_tags_count_up_per_project(ml100k_data: TrainingData) -> None:
    configuration = ModelConfigurationFactory(project=ml100k_data.project)
    tags = [
        services.trained_model_create(
            configuration=configuration, data=ml100k_data, queue=False
        ).version_tag
        for _ in range(3)
    ]

    assert tags == ["v1", "v2", "v3"]


def test_a_configuration_that_no_longer_fits_fails_with_a_reason(ml100k_data: TrainingData) -> None:
    model = _train(ml100k_data, "IALSRecommender", n_factors=10)

    assert model.status == JobStatus.FAILED
    assert "has no parameter 'n_factors'" in model.error_message
    assert not model.file
    assert TaskLog.objects.filter(trained_model=model, level="ERROR").exists()


def test_data_unlinked_after_creation_fails_the_training(ml100k_data: TrainingData) -> None:
    configuration = ModelConfigurationFactory(project=ml100k_data.project)
    model = services.trained_model_create(
        configuration=configuration, data=ml100k_data, queue=False
    )
    TrainingData.objects.filter(pk=ml100k_data.pk).update(file="")

    model = services.trained_model_train(model_id=model.pk)

    assert model.status == JobStatus.FAILED
    assert "removed" in model.error_message


def test_creating_a_model_queues_its_training_after_commit(
    client: APIClient,
    project: Any,
    django_capture_on_commit_callbacks: Any,
    sent_tasks: list[SentTask],
) -> None:
    data = TrainingDataFactory(project=project)
    configuration = ModelConfigurationFactory(project=project)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"configuration": configuration.pk, "data_loc": data.pk}, format="json"
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "PENDING"
    assert body["project"] == project.pk
    [sent] = sent_tasks
    assert (sent.name, sent.args) == ("training.train_model", (body["id"],))
    assert sent.options["task_id"] == body["task_id"]


@pytest.mark.parametrize("status", [ValidationStatus.VALIDATING, ValidationStatus.INVALID])
def test_training_needs_validated_data(client: APIClient, project: Any, status: str) -> None:
    data = TrainingDataFactory(project=project, validation_status=status)
    configuration = ModelConfigurationFactory(project=project)

    response = client.post(
        URL, {"configuration": configuration.pk, "data_loc": data.pk}, format="json"
    )

    assert response.status_code == 400
    assert "data_loc" in response.json()["error"]["fields"]


def test_data_and_configuration_must_share_a_project(
    client: APIClient, project: Any, user: Any, other_user: Any
) -> None:
    configuration = ModelConfigurationFactory(project=project)
    elsewhere = TrainingDataFactory(project=ProjectFactory(owner=user))
    foreign = TrainingDataFactory(project=ProjectFactory(owner=other_user))

    mixed = client.post(
        URL, {"configuration": configuration.pk, "data_loc": elsewhere.pk}, format="json"
    )
    cross_tenant = client.post(
        URL, {"configuration": configuration.pk, "data_loc": foreign.pk}, format="json"
    )

    assert mixed.status_code == 400
    assert "different projects" in mixed.json()["error"]["message"]
    assert cross_tenant.status_code == 400
    assert "data_loc" in cross_tenant.json()["error"]["fields"]


def test_previews_recommend_for_known_users_only(client: APIClient, trained: TrainedModel) -> None:
    body = client.get(f"{URL}{trained.pk}/recommendation/", {"user_id": "1", "cutoff": 5}).json()

    assert body["user_id"] == "1"
    assert len(body["user_profile"]) == 272
    assert len(body["recommendations"]) == 5
    assert not set(body["user_profile"]) & {r["item_id"] for r in body["recommendations"]}
    unknown = client.get(f"{URL}{trained.pk}/recommendation/", {"user_id": "nobody"})
    assert unknown.status_code == 404
    assert "not in this model's training data" in unknown.json()["error"]["message"]
    assert client.get(f"{URL}{trained.pk}/recommendation/").status_code == 400
    for cutoff in ("0", "x", "5000"):
        bad = client.get(f"{URL}{trained.pk}/recommendation/", {"user_id": "1", "cutoff": cutoff})
        assert bad.status_code == 400


def test_a_sample_recommendation_picks_a_known_user(
    client: APIClient, trained: TrainedModel
) -> None:
    body = client.get(f"{URL}{trained.pk}/sample_recommendation_raw/").json()

    assert body["user_profile"]
    assert len(body["recommendations"]) == 10
    assert all(isinstance(r["score"], float) for r in body["recommendations"])


def test_recommendations_from_a_list_of_items(client: APIClient, trained: TrainedModel) -> None:
    url = f"{URL}{trained.pk}/recommend_using_profile_interaction/"

    body = client.post(
        url, {"item_ids": ["50", "181", "unknown"], "cutoff": 3}, format="json"
    ).json()

    assert len(body["recommendations"]) == 3
    assert {"50", "181"}.isdisjoint(r["item_id"] for r in body["recommendations"])
    assert client.post(url, {"item_ids": []}, format="json").status_code == 400
    assert client.post(url, {"item_ids": ["1"], "cutoff": 0}, format="json").status_code == 400


def test_sample_recommendations_described_by_item_metadata(
    client: APIClient, trained: TrainedModel, ml100k_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "movies.csv"
    with (
        (ml100k_dir / "u.item").open(encoding="latin-1") as source,
        path.open("w", newline="") as out,
    ):
        writer = csv.writer(out)
        writer.writerow(["item_id", "title"])
        for line in source:
            fields = line.split("|")
            if fields[0] != "1":  # one item without metadata
                writer.writerow(fields[:2])
    metadata = ItemMetaData.objects.create(
        project=trained.configuration.project,
        basename="movies.csv",
        file=ContentFile(path.read_bytes(), name="movies.csv"),
        validation_status=ValidationStatus.VALID,
    )

    body = client.get(f"{URL}{trained.pk}/sample_recommendation_metadata/{metadata.pk}/").json()

    assert set(body["recommendations"][0]) == {"item_id", "title", "score"}
    assert all(row["title"] for row in body["recommendations"] if row["item_id"] != "1")
    assert all(set(row) == {"item_id", "title"} for row in body["user_profile"])
    missing = client.get(f"{URL}{trained.pk}/sample_recommendation_metadata/999999/")
    assert missing.status_code == 404


def test_previews_of_an_untrained_or_tampered_model_are_refused(
    client: APIClient, trained: TrainedModel, project: Any
) -> None:
    pending = TrainedModelFactory(project=project, status=JobStatus.PENDING)
    assert client.get(f"{URL}{pending.pk}/sample_recommendation_raw/").status_code == 409

    with default_storage.open(trained.file.name, "rb") as handle:
        content = bytearray(handle.read())
    content[len(content) // 2] ^= 0xFF
    name = default_storage.save("models/tampered.rctm", ContentFile(bytes(content)))
    TrainedModel.objects.filter(pk=trained.pk).update(file=name)

    response = client.get(f"{URL}{trained.pk}/sample_recommendation_raw/")

    assert response.status_code == 409
    assert "cannot be used" in response.json()["error"]["message"]


def test_the_artifact_can_be_downloaded(client: APIClient, trained: TrainedModel) -> None:
    response = client.get(f"{URL}{trained.pk}/download_file/")

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert read_artifact(content, model_signing_keys()).n_items == 1682
    assert f"recotem-model-{trained.pk}-v1.rctm" in response["Content-Disposition"]


def test_deleting_a_model_removes_its_file_unless_it_is_deployed(
    client: APIClient, trained: TrainedModel, django_capture_on_commit_callbacks: Any
) -> None:
    slot = DeploymentSlotFactory(project=trained.configuration.project, trained_model=trained)
    refused = client.delete(f"{URL}{trained.pk}/")
    assert refused.status_code == 409
    assert slot.name in refused.json()["error"]["message"]
    slot.delete()

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{URL}{trained.pk}/").status_code == 204

    assert not default_storage.exists(trained.file.name)


def test_other_users_models_answer_404(other_user: Any, trained: TrainedModel) -> None:
    intruder = APIClient()
    intruder.force_authenticate(other_user)

    assert intruder.get(f"{URL}{trained.pk}/").status_code == 404
    assert intruder.get(f"{URL}{trained.pk}/download_file/").status_code == 404
    assert intruder.get(f"{URL}{trained.pk}/sample_recommendation_raw/").status_code == 404


@pytest.mark.usefixtures("broker_down")
def test_a_model_the_broker_cannot_take_is_failed_with_the_reason(
    ml100k_data: TrainingData, django_capture_on_commit_callbacks: Any
) -> None:
    configuration = ModelConfigurationFactory(project=ml100k_data.project)

    with django_capture_on_commit_callbacks(execute=True):
        model = services.trained_model_create(configuration=configuration, data=ml100k_data)

    model.refresh_from_db()
    assert model.status == JobStatus.FAILED
    assert model.error_message == "The training could not be queued: broker down"


def test_ids_with_control_characters_are_refused_with_422(
    client: APIClient, trained: TrainedModel
) -> None:
    preview = client.get(f"{URL}{trained.pk}/recommendation/", {"user_id": "1\x00"})
    profile = client.post(
        f"{URL}{trained.pk}/recommend_using_profile_interaction/",
        {"item_ids": ["50", "181\n"]},
        format="json",
    )

    assert preview.status_code == 422
    assert "control characters" in preview.json()["error"]["fields"]["user_id"][0]
    assert profile.status_code == 422
    assert "U+000A" in profile.json()["error"]["message"]


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.COMPLETED])
def test_a_redelivered_training_leaves_an_ended_model_as_it_is(
    project: Any, status: JobStatus
) -> None:
    model = TrainedModelFactory(project=project, status=status, error_message="reaped")

    services.trained_model_train(model_id=model.pk, task_id="redelivered")

    model.refresh_from_db()
    assert (model.status, model.error_message, model.started_at) == (status, "reaped", None)


def _metadata(project: Any, rows: list[dict[str, Any]], status: str) -> ItemMetaData:
    content = "".join(json.dumps(row) + "\n" for row in rows).encode()
    return ItemMetaData.objects.create(
        project=project,
        basename="movies.jsonl",
        file=ContentFile(content, name="movies.jsonl"),
        validation_status=status,
    )


def test_training_carries_the_latest_valid_item_metadata_in_the_artifact(
    ml100k_data: TrainingData,
) -> None:
    project = ml100k_data.project
    _metadata(project, [{"item_id": "1", "title": "older"}], ValidationStatus.VALID)
    latest = _metadata(
        project,
        [
            {"item_id": 1, "title": "Toy Story (1995)", "genres": ["Animation", "Comedy"]},
            {"item_id": 2, "title": "GoldenEye (1995)", "genres": ["Action"], "rating": None},
            {"item_id": 1, "title": "a later duplicate", "genres": []},
        ],
        ValidationStatus.VALID,
    )
    _metadata(project, [{"item_id": "1", "title": "not validated"}], ValidationStatus.INVALID)

    model = _train(ml100k_data, top_k=50)

    assert model.status == JobStatus.COMPLETED, model.error_message
    with default_storage.open(model.file.name, "rb") as handle:
        artifact = read_artifact(handle.read(), model_signing_keys())
    assert artifact.manifest["recotem"]["item_meta_data_id"] == latest.pk
    assert artifact.manifest["item_metadata"] == {
        "item_ids": ["1", "2"],
        "fields": {
            "title": ["Toy Story (1995)", "GoldenEye (1995)"],
            "genres": [["Animation", "Comedy"], ["Action"]],
            "rating": [None, None],
        },
    }


def test_a_project_without_item_metadata_trains_without_it(trained: TrainedModel) -> None:
    with default_storage.open(trained.file.name, "rb") as handle:
        artifact = read_artifact(handle.read(), model_signing_keys())
    assert "item_metadata" not in artifact.manifest
    assert artifact.manifest["recotem"]["item_meta_data_id"] is None

"""Artifacts in S3-compatible storage (a local moto server), and re-signing them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

from core.models import JobStatus
from projects.models import TrainingData
from recotem_common.artifact import ArtifactUnknownKey, read_artifact
from tests.factories import ModelConfigurationFactory
from training import services
from training.artifacts import artifact_cache, model_signing_keys
from training.models import TrainedModel

BUCKET = "recotem-test-models"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings: Any, s3_endpoint: str) -> Any:
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _train(data: TrainingData) -> TrainedModel:
    configuration = ModelConfigurationFactory(
        project=data.project, recommender_class_name="TopPopRecommender"
    )
    model = services.trained_model_create(configuration=configuration, data=data, queue=False)
    return services.trained_model_train(model_id=model.pk)


def test_a_model_trained_with_s3_storage_lives_in_the_bucket(
    s3_storage: Any, ml100k_data: TrainingData, client: APIClient
) -> None:
    artifact_cache.clear()
    model = _train(ml100k_data)

    assert model.status == JobStatus.COMPLETED, model.error_message
    keys = [item["Key"] for item in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert model.file.name in keys
    stored = s3_storage.get_object(Bucket=BUCKET, Key=model.file.name)["Body"].read()
    assert read_artifact(stored, model_signing_keys()).n_users == 943
    preview = client.get(f"/api/v1/trained_model/{model.pk}/recommendation/", {"user_id": "1"})
    assert preview.status_code == 200, preview.json()


def test_resign_models_moves_artifacts_to_the_new_key_once(
    settings: Any, ml100k_data: TrainingData, capsys: Any
) -> None:
    settings.MODEL_SIGNING_KEYS = ["old-model-key-2f8c1a"]
    model = _train(ml100k_data)
    old_name = model.file.name
    settings.MODEL_SIGNING_KEYS = ["new-model-key-9d4e7b", "old-model-key-2f8c1a"]

    call_command("resign_models")
    call_command("resign_models")

    output = capsys.readouterr().out.splitlines()
    assert output == [
        "Re-signed 1 model(s); 0 already current; 0 failed.",
        "Re-signed 0 model(s); 1 already current; 0 failed.",
    ]
    model.refresh_from_db()
    assert model.file.name != old_name
    assert not default_storage.exists(old_name)
    with default_storage.open(model.file.name, "rb") as handle:
        content = handle.read()
    assert model.filesize == len(content)
    settings.MODEL_SIGNING_KEYS = ["new-model-key-9d4e7b"]
    assert read_artifact(content, model_signing_keys()).n_items == 1682
    settings.MODEL_SIGNING_KEYS = ["old-model-key-2f8c1a"]
    with pytest.raises(ArtifactUnknownKey):
        read_artifact(content, model_signing_keys())

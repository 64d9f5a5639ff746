from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.response import Response
from rest_framework.test import APIClient

from projects.models import ItemMetaData, TrainingData
from projects.services import item_meta_data_validate, training_data_validate
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig

SMALL_ROWS = [
    ("u1", "i1", 5, 881250949),
    ("u1", "i2", 3, 881250950),
    ("u2", "i1", 4, 881250951),
    ("u3", "i3", 1, 881250952),
    ("u3", "i1", 2, 881250953),
]
SMALL_HEADER = ("user_id", "item_id", "rating", "timestamp")


def small_csv(separator: str = ",") -> bytes:
    lines = [separator.join(SMALL_HEADER)]
    lines += [separator.join(str(v) for v in row) for row in SMALL_ROWS]
    return ("\n".join(lines) + "\n").encode()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


Uploader = Callable[..., Response]


@pytest.fixture
def upload(client: APIClient) -> Uploader:
    """POSTs a file to ``training_data/`` (or ``item_meta_data/``) as a browser would."""

    def post(
        project: Any,
        name: str,
        content: bytes,
        *,
        endpoint: str = "training_data",
        api_client: APIClient | None = None,
    ) -> Response:
        payload = {"project": project.pk, "file": SimpleUploadedFile(name, content)}
        return (api_client or client).post(f"/api/v1/{endpoint}/", payload, format="multipart")

    return post


@pytest.fixture
def validated(upload: Uploader) -> Callable[..., TrainingData]:
    """Uploads a file, runs the validation the worker would run, returns the fresh row."""

    def run(
        project: Any, name: str, content: bytes, api_client: APIClient | None = None
    ) -> TrainingData:
        response = upload(project, name, content, api_client=api_client)
        assert response.status_code == 201, response.json()
        training_data_validate(training_data_id=response.json()["id"])
        return TrainingData.objects.get(pk=response.json()["id"])

    return run


@pytest.fixture
def validated_meta(upload: Uploader) -> Callable[..., ItemMetaData]:
    def run(project: Any, name: str, content: bytes) -> ItemMetaData:
        response = upload(project, name, content, endpoint="item_meta_data")
        assert response.status_code == 201, response.json()
        item_meta_data_validate(item_meta_data_id=response.json()["id"])
        return ItemMetaData.objects.get(pk=response.json()["id"])

    return run


@pytest.fixture
def tuning_job() -> Callable[..., Any]:
    """A tuning job on some training data, in the given status."""

    def create(data: TrainingData, status: str = "RUNNING") -> ParameterTuningJob:
        owner = data.project.owner
        return ParameterTuningJob.objects.create(
            data=data,
            split=SplitConfig.objects.create(created_by=owner),
            evaluation=EvaluationConfig.objects.create(created_by=owner),
            status=status,
        )

    return create


def parquet_bytes(table: Any) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()

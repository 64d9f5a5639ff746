"""A task whose worker keeps dying is delivered again only MAX_TASK_DELIVERIES times:
then its row fails with the reason instead of blocking its queue for ever."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from core.models import JobStatus
from projects.models import TrainingData, ValidationStatus
from projects.services import training_data_validate
from tests.conftest import stored_training_data
from tests.factories import TrainedModelFactory
from tests.projects.conftest import small_csv
from training.models import TrainedModel
from training.services import trained_model_train

pytestmark = pytest.mark.django_db


def test_a_validation_delivered_past_the_limit_is_failed_with_the_reason(
    project: Any, tmp_path: Any, client: Any, sent_tasks: Any
) -> None:
    path = tmp_path / "small.csv"
    path.write_bytes(small_csv())
    data = stored_training_data(project, path, validation_status=ValidationStatus.VALIDATING)
    TrainingData.objects.filter(pk=data.pk).update(deliveries=settings.MAX_TASK_DELIVERIES)

    training_data_validate(training_data_id=data.pk)

    data.refresh_from_db()
    assert data.validation_status == ValidationStatus.INVALID
    assert data.validation_error.startswith(
        f"The validation was stopped {settings.MAX_TASK_DELIVERIES} times before finishing"
    )
    retried = client.post(f"/api/v1/training_data/{data.pk}/revalidate/")
    assert retried.status_code == 200, retried.json()
    training_data_validate(training_data_id=data.pk)
    data.refresh_from_db()
    assert (data.validation_status, data.deliveries) == (ValidationStatus.VALID, 1)


def test_a_validation_within_the_limit_runs(project: Any, tmp_path: Any) -> None:
    path = tmp_path / "small.csv"
    path.write_bytes(small_csv())
    data = stored_training_data(project, path, validation_status=ValidationStatus.PENDING)
    TrainingData.objects.filter(pk=data.pk).update(deliveries=settings.MAX_TASK_DELIVERIES - 1)

    training_data_validate(training_data_id=data.pk)

    assert TrainingData.objects.get(pk=data.pk).validation_status == ValidationStatus.VALID


def test_a_training_delivered_past_the_limit_is_failed_with_the_reason(project: Any) -> None:
    model = TrainedModelFactory(
        project=project, status=JobStatus.RUNNING, deliveries=settings.MAX_TASK_DELIVERIES
    )

    trained_model_train(model_id=model.pk, task_id="redelivered")

    model.refresh_from_db()
    assert model.status == JobStatus.FAILED
    assert model.error_message.startswith(
        f"The training was stopped {settings.MAX_TASK_DELIVERIES} times before finishing"
    )
    assert TrainedModel.objects.get(pk=model.pk).deliveries == settings.MAX_TASK_DELIVERIES + 1

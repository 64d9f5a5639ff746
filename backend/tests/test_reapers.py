"""Every state that waits for a worker ends: the reapers fail what waited too long,
with the reason, and leave what is still within its bound."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import JobStatus
from projects.models import ItemMetaData, TrainingData, ValidationStatus
from projects.services import uploads_reap
from tests.factories import ParameterTuningJobFactory, TrainedModelFactory, TrainingDataFactory
from training.models import TrainedModel
from training.services import trained_models_reap
from tuning.models import ParameterTuningJob
from tuning.reaper import tuning_jobs_reap

pytestmark = pytest.mark.django_db


def _queued_long_ago() -> Any:
    return timezone.now() - timedelta(minutes=settings.QUEUED_WORK_TIMEOUT_MINUTES + 1)


# The reaper closes stale connections first, which a test transaction cannot survive.
@pytest.mark.django_db(transaction=True)
def test_a_job_no_worker_started_is_failed_with_the_reason(project: Any) -> None:
    data = TrainingDataFactory(project=project)
    lost = ParameterTuningJobFactory(data=data, status=JobStatus.PENDING)
    waiting = ParameterTuningJobFactory(data=data, status=JobStatus.PENDING)
    ParameterTuningJob.objects.filter(pk=lost.pk).update(ins_datetime=_queued_long_ago())

    assert tuning_jobs_reap() == [lost.pk]

    lost.refresh_from_db()
    assert lost.status == JobStatus.FAILED
    assert lost.error_message.startswith(
        f"No worker started the job within {settings.QUEUED_WORK_TIMEOUT_MINUTES} minutes"
    )
    assert lost.finished_at is not None
    assert ParameterTuningJob.objects.get(pk=waiting.pk).status == JobStatus.PENDING


def test_a_model_no_worker_started_is_failed_with_the_reason(project: Any) -> None:
    lost = TrainedModelFactory(project=project, status=JobStatus.PENDING, task_id="t-1")
    waiting = TrainedModelFactory(project=project, status=JobStatus.PENDING, task_id="t-2")
    inline = TrainedModelFactory(project=project, status=JobStatus.PENDING, task_id="")
    TrainedModel.objects.filter(pk__in=[lost.pk, inline.pk]).update(ins_datetime=_queued_long_ago())

    assert trained_models_reap() == [lost.pk]

    lost.refresh_from_db()
    assert lost.status == JobStatus.FAILED
    assert "No worker started the training" in lost.error_message
    assert TrainedModel.objects.get(pk=waiting.pk).status == JobStatus.PENDING
    assert TrainedModel.objects.get(pk=inline.pk).status == JobStatus.PENDING


def test_uploads_waiting_or_validating_too_long_are_failed_and_can_be_retried(
    project: Any, client: Any, sent_tasks: Any
) -> None:
    now = timezone.now()
    lost = TrainingDataFactory(
        project=project, file="uploads/a.csv", validation_status=ValidationStatus.PENDING
    )
    killed = ItemMetaData.objects.create(
        project=project, file="uploads/b.csv", validation_status=ValidationStatus.VALIDATING
    )
    waiting = TrainingDataFactory(
        project=project, file="uploads/c.csv", validation_status=ValidationStatus.PENDING
    )
    TrainingData.objects.filter(pk=lost.pk).update(updated_at=_queued_long_ago())
    running_limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 601)
    ItemMetaData.objects.filter(pk=killed.pk).update(updated_at=now - running_limit)

    assert sorted(uploads_reap()) == [("ItemMetaData", killed.pk), ("TrainingData", lost.pk)]

    lost.refresh_from_db()
    killed.refresh_from_db()
    assert lost.validation_status == ValidationStatus.INVALID
    assert "No worker started the validation" in lost.validation_error
    assert killed.validation_status == ValidationStatus.INVALID
    assert killed.validation_error == (
        "The validation worker stopped before finishing. Ask to validate it again."
    )
    assert TrainingData.objects.get(pk=waiting.pk).validation_status == ValidationStatus.PENDING
    retried = client.post(f"/api/v1/item_meta_data/{killed.pk}/revalidate/")
    assert retried.status_code == 200, retried.json()
    assert retried.json()["validation_status"] == "PENDING"

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
from tests.factories import (
    ModelConfigurationFactory,
    ParameterTuningJobFactory,
    TrainedModelFactory,
)
from tests.projects.conftest import small_csv
from training.models import TrainedModel
from training.services import trained_model_train
from tuning.finalize import tuning_job_finalize
from tuning.prepare import tuning_job_prepare

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


def test_a_training_above_the_memory_budget_is_refused_before_fitting(
    project: Any, ml100k_data: Any, settings: Any
) -> None:
    settings.TRAINING_MEMORY_BUDGET_MB = 20
    model = TrainedModelFactory(
        project=project,
        data_loc=ml100k_data,
        status=JobStatus.PENDING,
        configuration=ModelConfigurationFactory(
            project=project, recommender_class_name="IALS", parameters_json={"n_components": 1024}
        ),
    )

    trained_model_train(model_id=model.pk)

    model.refresh_from_db()
    assert model.status == JobStatus.FAILED
    assert model.error_message.startswith(
        "Training IALS on 943 users, 1,682 items and 100,000 interactions needs about "
    )
    assert "more than the training memory budget of 20 MB" in model.error_message
    assert not model.file


@pytest.mark.parametrize("stage", ["preparation", "finishing"])
def test_a_tuning_stage_delivered_past_the_limit_fails_the_job_with_the_reason(
    project: Any, ml100k_data: Any, stage: str
) -> None:
    status = JobStatus.PENDING if stage == "preparation" else JobStatus.RUNNING
    job = ParameterTuningJobFactory(
        data=ml100k_data, status=status, deliveries=settings.MAX_TASK_DELIVERIES
    )

    if stage == "preparation":
        tuning_job_prepare(job_id=job.pk, task_id="redelivered")
    else:
        tuning_job_finalize(job_id=job.pk, task_id="redelivered")

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error_message.startswith(
        f"The {stage} of the tuning job was stopped {settings.MAX_TASK_DELIVERIES} times "
        "before finishing"
    )
    assert not TrainedModel.objects.exists()


def test_a_finished_preparation_leaves_the_count_to_the_next_stage(
    project: Any, ml100k_data: Any
) -> None:
    job = ParameterTuningJobFactory(data=ml100k_data, status=JobStatus.PENDING)

    tuning_job_prepare(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.deliveries) == (JobStatus.RUNNING, 0)

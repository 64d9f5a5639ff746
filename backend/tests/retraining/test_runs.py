from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.models import JobStatus
from deployments.models import DeploymentSlot
from projects.models import TrainingData
from retraining.execution import retraining_run_execute
from retraining.models import RetrainingRun, RetrainingSchedule
from retraining.services import retraining_run_request, retraining_runs_settle
from tests.conftest import SentTask
from tests.factories import (
    DeploymentSlotFactory,
    EvaluationConfigFactory,
    ModelConfigurationFactory,
    SplitConfigFactory,
    TrainingDataFactory,
)
from training.models import TrainedModel
from training.services import trained_model_train, trained_models_reap
from tuning.services import tuning_job_cancel


@pytest.fixture
def schedule(project: Any) -> RetrainingSchedule:
    return RetrainingSchedule.objects.create(
        project=project,
        is_enabled=True,
        model_configuration=ModelConfigurationFactory(project=project),
        training_data=TrainingDataFactory(project=project, fingerprint="a" * 64),
        auto_deploy=True,
        deploy_slot=DeploymentSlotFactory(project=project),
        max_retries=1,
    )


def _started_run(schedule: RetrainingSchedule, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks() as queued:
        run = retraining_run_request(schedule=schedule)
    assert len(queued) == 1
    with django_capture_on_commit_callbacks():
        retraining_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_a_run_trains_then_deploys_into_the_chosen_slot(
    schedule: RetrainingSchedule, django_capture_on_commit_callbacks: Any
) -> None:
    run = _started_run(schedule, django_capture_on_commit_callbacks)
    assert run.status == RetrainingRun.Status.RUNNING
    assert run.trained_model is not None
    assert (run.data_fingerprint, run.data_rows_at_trigger) == ("a" * 64, 1000)

    model = run.trained_model
    model.status = JobStatus.COMPLETED
    model.save()
    with django_capture_on_commit_callbacks(execute=True):
        retraining_runs_settle(trained_model=model)

    run.refresh_from_db()
    schedule.refresh_from_db()
    assert run.status == RetrainingRun.Status.COMPLETED
    assert schedule.last_run_status == RetrainingSchedule.RunStatus.SUCCESS
    assert DeploymentSlot.objects.get(pk=schedule.deploy_slot_id).trained_model_id == model.pk
    assert DeploymentSlot.objects.filter(project=schedule.project).count() == 1

    second = _started_run(schedule, django_capture_on_commit_callbacks)
    assert second.status == RetrainingRun.Status.SKIPPED
    assert "not changed" in second.error_message


def test_a_failed_training_is_retried_then_reported(
    schedule: RetrainingSchedule, django_capture_on_commit_callbacks: Any
) -> None:
    run = _started_run(schedule, django_capture_on_commit_callbacks)
    for attempt in (1, 2):
        model = run.trained_model
        model.status = JobStatus.FAILED
        model.error_message = "out of memory"
        model.save()
        with django_capture_on_commit_callbacks() as queued:
            retraining_runs_settle(trained_model=model)
        run.refresh_from_db()
        if attempt == 1:
            assert run.status == RetrainingRun.Status.PENDING
            assert len(queued) == 1, "a retry is queued with a backoff"
            with django_capture_on_commit_callbacks():
                retraining_run_execute(run_id=run.pk)
            run.refresh_from_db()
            assert run.attempt == 2
    assert run.status == RetrainingRun.Status.FAILED
    assert run.error_message == "out of memory"
    schedule.refresh_from_db()
    assert schedule.last_run_status == RetrainingSchedule.RunStatus.FAILED


def test_a_project_without_valid_data_fails_the_run(
    project: Any, django_capture_on_commit_callbacks: Any
) -> None:
    schedule = RetrainingSchedule.objects.create(
        project=project,
        is_enabled=True,
        model_configuration=ModelConfigurationFactory(project=project),
        max_retries=0,
    )
    run = _started_run(schedule, django_capture_on_commit_callbacks)
    assert run.status == RetrainingRun.Status.FAILED
    assert "no valid training data" in run.error_message


def test_a_run_settles_when_its_model_is_trained_without_a_task(
    ml100k_data: TrainingData,
    sent_tasks: list[SentTask],
    django_capture_on_commit_callbacks: Any,
) -> None:
    schedule = RetrainingSchedule.objects.create(
        project=ml100k_data.project,
        is_enabled=True,
        model_configuration=ModelConfigurationFactory(
            project=ml100k_data.project, recommender_class_name="TopPopRecommender"
        ),
        training_data=ml100k_data,
    )
    run = _started_run(schedule, django_capture_on_commit_callbacks)

    trained_model_train(model_id=run.trained_model_id)

    run.refresh_from_db()
    assert run.status == RetrainingRun.Status.COMPLETED


def test_a_run_whose_model_the_reaper_fails_is_retried(
    schedule: RetrainingSchedule,
    sent_tasks: list[SentTask],
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = _started_run(schedule, django_capture_on_commit_callbacks)
    TrainedModel.objects.filter(pk=run.trained_model_id).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - timedelta(days=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert trained_models_reap() == [run.trained_model_id]

    run.refresh_from_db()
    assert run.status == RetrainingRun.Status.PENDING
    assert "stopped before finishing" in run.error_message
    [retry] = sent_tasks
    assert (retry.name, retry.args) == ("retraining.execute_run", (run.pk,))


def test_a_run_whose_tuning_job_is_cancelled_is_settled(
    project: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = project.owner
    schedule = RetrainingSchedule.objects.create(
        project=project,
        is_enabled=True,
        retune=True,
        split_config=SplitConfigFactory(created_by=owner),
        evaluation_config=EvaluationConfigFactory(created_by=owner),
        training_data=TrainingDataFactory(project=project),
        max_retries=0,
    )
    run = _started_run(schedule, django_capture_on_commit_callbacks)
    assert run.tuning_job is not None

    tuning_job_cancel(job=run.tuning_job)

    run.refresh_from_db()
    assert run.status == RetrainingRun.Status.FAILED


def test_a_run_whose_model_no_worker_started_fails_once_retries_are_spent(
    schedule: RetrainingSchedule,
    sent_tasks: list[SentTask],
    django_capture_on_commit_callbacks: Any,
) -> None:
    RetrainingSchedule.objects.filter(pk=schedule.pk).update(max_retries=0)
    run = _started_run(schedule, django_capture_on_commit_callbacks)
    TrainedModel.objects.filter(pk=run.trained_model_id).update(
        ins_datetime=timezone.now() - timedelta(days=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert trained_models_reap() == [run.trained_model_id]

    run.refresh_from_db()
    assert run.status == RetrainingRun.Status.FAILED
    assert "No worker started the training" in run.error_message
    assert run.completed_at is not None
    assert sent_tasks == []

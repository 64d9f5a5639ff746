from __future__ import annotations

from typing import Any

import pytest

from deployments.models import DeploymentSlot
from retraining.models import RetrainingRun, RetrainingSchedule
from retraining.services import (
    retraining_run_execute,
    retraining_run_request,
    retraining_runs_settle,
)
from tests.factories import (
    DeploymentSlotFactory,
    ModelConfigurationFactory,
    TrainingDataFactory,
)
from tuning.models import JobStatus


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

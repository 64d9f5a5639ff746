from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.exceptions import Conflict, ValidationFailed, field_error
from core.limits import DEFAULT_RETRIES, DEFAULT_TRIALS, MAX_RETRIES
from core.models import TERMINAL_JOB_STATUSES, JobStatus
from core.services import model_update
from core.tasks import TaskName, queue_on_commit, task
from deployments.models import DeploymentSlot
from deployments.services import deployment_slot_update
from projects.models import Project, TrainingData
from retraining import cron
from retraining.models import (
    DEFAULT_CRON_EXPRESSION,
    DEFAULT_TIMEZONE,
    SCHEDULE_SETTINGS,
    RetrainingRun,
    RetrainingSchedule,
)
from training.models import ModelConfiguration, TrainedModel
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig

RETRY_BASE_SECONDS = 60


def _check_consistency(project: Project, values: Mapping[str, Any]) -> None:
    cron.cron_fields(values["cron_expression"])
    cron.zone(values["timezone"])
    cron.check_interval(
        values["cron_expression"], values["timezone"], settings.RETRAINING_MIN_INTERVAL_MINUTES
    )
    for field in ("training_data", "model_configuration", "deploy_slot"):
        related = values.get(field)
        if related is not None and related.project_id != project.pk:
            raise field_error(
                field,
                f"The chosen {field.replace('_', ' ')} belongs to another project.",
                field_message="Choose one of this project's.",
            )
    if values.get("retune"):
        missing = [f for f in ("split_config", "evaluation_config") if not values.get(f)]
        if missing:
            raise ValidationFailed(
                "Retuning needs a split and an evaluation configuration.",
                fields={f: ["Required when retune is on."] for f in missing},
            )
    elif not values.get("model_configuration"):
        raise field_error(
            "model_configuration",
            "Without retuning, choose the model configuration to retrain.",
            field_message="Required when retune is off.",
        )
    if values.get("auto_deploy") and not values.get("deploy_slot"):
        raise field_error(
            "deploy_slot",
            "Auto-deploy needs the deployment slot whose model it replaces.",
            field_message="Required when auto_deploy is on.",
        )
    if not 0 <= values["max_retries"] <= MAX_RETRIES:
        raise field_error(
            "max_retries",
            f"max_retries must be between 0 and {MAX_RETRIES}.",
            field_message="Out of range.",
        )


def _values(schedule: RetrainingSchedule) -> dict[str, Any]:
    return {name: getattr(schedule, name) for name in SCHEDULE_SETTINGS}


def _sync_beat(schedule: RetrainingSchedule) -> None:
    """Mirror the schedule into django-celery-beat's tables, which beat reads."""
    fields = cron.cron_fields(schedule.cron_expression)
    crontab, _ = CrontabSchedule.objects.get_or_create(
        **fields, timezone=cron.zone(schedule.timezone)
    )
    periodic_task = schedule.periodic_task or PeriodicTask(
        name=f"retraining-schedule-{schedule.pk}"
    )
    periodic_task.crontab = crontab
    periodic_task.task = TaskName.FIRE_RETRAINING_SCHEDULE
    periodic_task.args = json.dumps([schedule.pk])
    periodic_task.enabled = schedule.is_enabled
    periodic_task.save()
    schedule.periodic_task = periodic_task
    schedule.next_run_at = (
        cron.next_run(schedule.cron_expression, schedule.timezone, timezone.now())
        if schedule.is_enabled
        else None
    )
    schedule.save(update_fields=["periodic_task", "next_run_at", "updated_at"])


@transaction.atomic
def retraining_schedule_create(
    *,
    project: Project,
    is_enabled: bool = False,
    cron_expression: str = DEFAULT_CRON_EXPRESSION,
    timezone: str = DEFAULT_TIMEZONE,
    training_data: TrainingData | None = None,
    model_configuration: ModelConfiguration | None = None,
    retune: bool = False,
    split_config: SplitConfig | None = None,
    evaluation_config: EvaluationConfig | None = None,
    n_trials: int = DEFAULT_TRIALS,
    max_retries: int = DEFAULT_RETRIES,
    notify_on_failure: bool = True,
    auto_deploy: bool = False,
    deploy_slot: DeploymentSlot | None = None,
) -> RetrainingSchedule:
    if RetrainingSchedule.objects.filter(project=project).exists():
        raise Conflict("This project already has a retraining schedule; edit that one.")
    schedule = RetrainingSchedule(
        project=project,
        is_enabled=is_enabled,
        cron_expression=cron_expression,
        timezone=timezone,
        training_data=training_data,
        model_configuration=model_configuration,
        retune=retune,
        split_config=split_config,
        evaluation_config=evaluation_config,
        n_trials=n_trials,
        max_retries=max_retries,
        notify_on_failure=notify_on_failure,
        auto_deploy=auto_deploy,
        deploy_slot=deploy_slot,
    )
    _check_consistency(project, _values(schedule))
    schedule.save()
    _sync_beat(schedule)
    return schedule


@transaction.atomic
def retraining_schedule_update(
    *, schedule: RetrainingSchedule, data: dict[str, Any]
) -> RetrainingSchedule:
    if "project" in data and data["project"].pk != schedule.project_id:
        raise field_error("project", "A schedule cannot move to another project.")
    _check_consistency(schedule.project, {**_values(schedule), **data})
    model_update(instance=schedule, fields=SCHEDULE_SETTINGS, data=data)
    _sync_beat(schedule)
    return schedule


def retraining_schedule_unschedule(*, schedule: RetrainingSchedule) -> None:
    """Remove the beat entry of a schedule that is being deleted (also by cascade)."""
    if schedule.periodic_task_id:
        PeriodicTask.objects.filter(pk=schedule.periodic_task_id).delete()


@transaction.atomic
def retraining_run_request(
    *, schedule: RetrainingSchedule, trigger: str = RetrainingRun.Trigger.MANUAL
) -> RetrainingRun:
    if not schedule.is_enabled:
        raise Conflict("This schedule is disabled; enable it before triggering a run.")
    run = RetrainingRun.objects.create(schedule=schedule, trigger=trigger)
    _queue_run(run.pk)
    return run


def _queue_run(run_id: int, *, countdown: int = 0) -> None:
    def unqueued(error: Exception) -> None:
        # The run row is committed already: say why nothing will execute it.
        run = RetrainingRun.objects.select_related("schedule").filter(pk=run_id).first()
        if run is not None and run.status == RetrainingRun.Status.PENDING:
            message = f"The run could not be queued: {error}. Trigger the schedule again."
            retraining_run_finish(run=run, status=RetrainingRun.Status.FAILED, message=message)

    queue_on_commit(
        task(TaskName.EXECUTE_RETRAINING_RUN, run_id, countdown=countdown), on_failure=unqueued
    )


def retraining_scheduled_fire(*, schedule_id: int) -> None:
    """What beat runs: start a run of an enabled schedule and compute the next firing."""
    with transaction.atomic():
        schedule = RetrainingSchedule.objects.select_for_update().filter(pk=schedule_id).first()
        if schedule is None or not schedule.is_enabled:
            return
        schedule.next_run_at = cron.next_run(
            schedule.cron_expression, schedule.timezone, timezone.now()
        )
        schedule.save(update_fields=["next_run_at", "updated_at"])
        retraining_run_request(schedule=schedule, trigger=RetrainingRun.Trigger.SCHEDULED)


def retraining_runs_settle(
    *, trained_model: TrainedModel | None = None, tuning_job: ParameterTuningJob | None = None
) -> None:
    """Finish the runs waiting for this model or tuning job, deploying when asked to."""
    runs = RetrainingRun.objects.filter(status=RetrainingRun.Status.RUNNING)
    if trained_model is not None:
        runs = runs.filter(
            Q(trained_model=trained_model) | Q(tuning_job__tuned_model=trained_model)
        )
    elif tuning_job is not None:
        runs = runs.filter(tuning_job=tuning_job)
    else:
        return
    for run_id in runs.values_list("pk", flat=True):
        with transaction.atomic():
            run = (
                RetrainingRun.objects.select_for_update().select_related("schedule").get(pk=run_id)
            )
            _settle(run, trained_model=trained_model, tuning_job=tuning_job)


def retraining_runs_settle_job(*, job: ParameterTuningJob) -> None:
    """Settle the runs of a tuning job that has ended, through its model when it has one."""
    if job.status not in TERMINAL_JOB_STATUSES:
        return
    if job.tuned_model is not None:
        retraining_runs_settle(trained_model=job.tuned_model)
    else:
        retraining_runs_settle(tuning_job=job)


def _settle(
    run: RetrainingRun,
    *,
    trained_model: TrainedModel | None,
    tuning_job: ParameterTuningJob | None,
) -> None:
    if trained_model is not None and trained_model.status == JobStatus.COMPLETED:
        run.trained_model = trained_model
        schedule = run.schedule
        if schedule.auto_deploy and schedule.deploy_slot is not None:
            deployment_slot_update(slot=schedule.deploy_slot, data={"trained_model": trained_model})
        schedule.last_data_fingerprint = run.data_fingerprint
        retraining_run_finish(run=run, status=RetrainingRun.Status.COMPLETED, message="")
        return
    reason = (
        trained_model.error_message
        if trained_model is not None
        else (tuning_job.error_message if tuning_job is not None else "")
    )
    retraining_run_retry_or_fail(run=run, message=reason or "Training did not complete.")


def retraining_run_retry_or_fail(*, run: RetrainingRun, message: str) -> None:
    """Queue the run again after a backoff while it has attempts left, or fail it."""
    if run.attempt <= run.schedule.max_retries:
        run.status = RetrainingRun.Status.PENDING
        run.error_message = f"Attempt {run.attempt} failed: {message}"
        run.trained_model = None
        run.tuning_job = None
        run.save()
        _queue_run(run.pk, countdown=RETRY_BASE_SECONDS * 2 ** (run.attempt - 1))
        return
    retraining_run_finish(run=run, status=RetrainingRun.Status.FAILED, message=message)


def retraining_run_finish(*, run: RetrainingRun, status: str, message: str) -> None:
    """Put the run in a final state and record the outcome on its schedule."""
    now = timezone.now()
    run.status = status
    run.error_message = message
    run.completed_at = now
    run.save()
    schedule = run.schedule
    schedule.last_run_at = now
    if status == RetrainingRun.Status.COMPLETED:
        schedule.last_run_status = RetrainingSchedule.RunStatus.SUCCESS
    elif status == RetrainingRun.Status.SKIPPED:
        schedule.last_run_status = RetrainingSchedule.RunStatus.SKIPPED
    else:
        schedule.last_run_status = RetrainingSchedule.RunStatus.FAILED
    schedule.save(
        update_fields=["last_run_at", "last_run_status", "last_data_fingerprint", "updated_at"]
    )

"""Tuning jobs as a client sees them: create one, cancel it, delete it.

What happens once a job is queued is in ``tuning.canvas`` and the steps it runs.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from core.exceptions import Conflict, field_error
from core.limits import DEFAULT_TRIALS
from core.models import ACTIVE_JOB_STATUSES, TERMINAL_JOB_STATUSES, JobStatus
from core.tasks import queue_on_commit
from projects.models import TrainingData
from training.algorithms import DEFAULT_ALGORITHMS, UnknownAlgorithmError, resolve_algorithms
from training.services import training_data_require_valid
from tuning import study as studies
from tuning.canvas import tuning_job_canvas
from tuning.models import (
    DEFAULT_MEMORY_BUDGET_MB,
    EvaluationConfig,
    ParameterTuningJob,
    SplitConfig,
)
from tuning.progress import job_log, tuning_job_finish

TIME_SCHEMES = (SplitConfig.SplitScheme.TIME_GLOBAL, SplitConfig.SplitScheme.TIME_USER)


TuningConfig = SplitConfig | EvaluationConfig


def config_require_unused(*, config: TuningConfig) -> None:
    """A configuration a tuning job used is part of that job's record: refuse changes."""
    job_id = (
        ParameterTuningJob.objects.filter(**{config.JOB_FIELD: config})
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if job_id is not None:
        kind = config._meta.verbose_name
        raise Conflict(
            f"This {kind} was used by tuning job {job_id}, so it is part of that job's "
            f"record and cannot be changed or deleted. Create a new {kind} instead."
        )


def config_update(*, config: TuningConfig, data: dict[str, Any]) -> TuningConfig:
    with transaction.atomic():
        # The row lock orders this against a job being created with the configuration.
        locked = type(config).objects.select_for_update().get(pk=config.pk)
        config_require_unused(config=locked)
        for field, value in data.items():
            setattr(locked, field, value)
        locked.save()
    return locked


def config_delete(*, config: TuningConfig) -> None:
    with transaction.atomic():
        locked = type(config).objects.select_for_update().get(pk=config.pk)
        config_require_unused(config=locked)
        locked.delete()


def tried_algorithms_validate(names: Any) -> list[str]:
    """The job's algorithms as canonical short names (the default set when empty)."""
    if names is None or names == []:
        return list(DEFAULT_ALGORITHMS)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise field_error(
            "tried_algorithms_json",
            "tried_algorithms_json must be a list of algorithm names.",
            field_message="Give a list of algorithm names.",
        )
    try:
        return [algorithm.name for algorithm in resolve_algorithms(names)]
    except UnknownAlgorithmError as error:
        raise field_error("tried_algorithms_json", str(error)) from error


def _check_budget(
    *,
    n_tasks_parallel: int,
    n_trials: int,
    timeout_overall: int | None,
    timeout_singlestep: int | None,
) -> None:
    if n_tasks_parallel > n_trials:
        message = (
            f"n_tasks_parallel ({n_tasks_parallel}) exceeds n_trials ({n_trials}): the extra "
            "workers would have no trial to run. Lower n_tasks_parallel or raise n_trials."
        )
        raise field_error("n_tasks_parallel", message)
    # A message the broker has not seen acknowledged within its visibility timeout is
    # delivered again, so a longer job would run twice.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    if timeout_overall is not None and timeout_overall >= visibility:
        message = (
            f"timeout_overall must be below the broker's visibility timeout of {visibility} s; "
            f"{timeout_overall} s would run the job twice. Lower it or raise "
            "CELERY_TASK_TIME_LIMIT."
        )
        raise field_error("timeout_overall", message)
    if (
        timeout_overall is not None
        and timeout_singlestep is not None
        and timeout_singlestep > timeout_overall
    ):
        message = "timeout_singlestep cannot exceed timeout_overall."
        raise field_error("timeout_singlestep", message)


def tuning_job_create(
    *,
    data: TrainingData,
    split: SplitConfig,
    evaluation: EvaluationConfig,
    n_tasks_parallel: int = 1,
    n_trials: int = DEFAULT_TRIALS,
    memory_budget: int = DEFAULT_MEMORY_BUDGET_MB,
    timeout_overall: int | None = None,
    timeout_singlestep: int | None = None,
    random_seed: int | None = None,
    tried_algorithms_json: Any = None,
    train_after_tuning: bool = True,
) -> ParameterTuningJob:
    training_data_require_valid(data, field="data")
    if split.scheme in TIME_SCHEMES and not data.project.time_column:
        message = (
            f"The split scheme {split.scheme} orders interactions by time, but project "
            f"{data.project.name!r} has no time column. Use the random scheme (RG) or "
            "set the project's time column."
        )
        raise field_error("split", message)
    algorithms = tried_algorithms_validate(tried_algorithms_json)
    _check_budget(
        n_tasks_parallel=n_tasks_parallel,
        n_trials=n_trials,
        timeout_overall=timeout_overall,
        timeout_singlestep=timeout_singlestep,
    )
    job = ParameterTuningJob(
        data=data,
        split=split,
        evaluation=evaluation,
        n_tasks_parallel=n_tasks_parallel,
        n_trials=n_trials,
        memory_budget=memory_budget,
        timeout_overall=timeout_overall,
        timeout_singlestep=timeout_singlestep,
        random_seed=random_seed,
        tried_algorithms_json=algorithms,
        train_after_tuning=train_after_tuning,
    )
    job.full_clean()
    job.task_ids = [str(uuid.uuid4()) for _ in range(n_tasks_parallel + 2)]
    job.save()
    job_log(job, f"Job created: {n_trials} trials over {', '.join(algorithms)}.")
    queue_on_commit(
        tuning_job_canvas(job),
        # The job row is committed already: say why nothing will run it.
        on_failure=lambda error: tuning_job_finish(
            job=job, status=JobStatus.FAILED, error=f"The job could not be queued: {error}"
        ),
    )
    return job


def tuning_job_cancel(*, job: ParameterTuningJob) -> ParameterTuningJob:
    if job.status in TERMINAL_JOB_STATUSES:
        raise Conflict(f"The job has already ended ({job.status}).")
    ParameterTuningJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    if job.status == JobStatus.PENDING:
        tuning_job_finish(job=job, status=JobStatus.CANCELLED)
    else:
        job_log(job, "Cancellation requested; workers stop after their current step.")
    return job


def tuning_job_delete(*, job: ParameterTuningJob) -> None:
    if job.status in ACTIVE_JOB_STATUSES:
        raise Conflict("The job is still running; cancel it before deleting it.")
    split_file = job.split_file
    studies.delete_study(job=job)
    job.delete()
    if split_file:
        transaction.on_commit(lambda: default_storage.delete(split_file), robust=True)

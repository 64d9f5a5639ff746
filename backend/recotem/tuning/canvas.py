"""The Celery canvas that runs a tuning job, queued once the job's row commits::

    prepare_job(job) -> chord([run_trials(job, i) for i in range(n)], finalize_job(job))

The prepare step (``tuning.prepare``) computes the split once and creates the Optuna
study; the workers (``tuning.worker``) share both; finalize (``tuning.finalize``) runs
after every worker returned — the workers never raise, so one failed worker cannot keep
it from running — and turns the best trial into a ModelConfiguration and, with
``train_after_tuning``, a trained model. The task ids are chosen when the job is created
and kept on the row, so the job's logs can name them before any of them runs.
"""

from __future__ import annotations

from celery import chain, chord
from celery.canvas import Signature

from core.tasks import TaskName, task
from tuning.models import ParameterTuningJob


def tuning_job_canvas(job: ParameterTuningJob) -> Signature:
    prepare_id, finalize_id, *worker_ids = job.task_ids
    workers = [
        task(TaskName.RUN_TUNING_TRIALS, job.pk, index, task_id=task_id, **_worker_limits(job))
        for index, task_id in enumerate(worker_ids)
    ]
    return chain(
        task(TaskName.PREPARE_TUNING_JOB, job.pk, task_id=prepare_id),
        chord(workers, task(TaskName.FINALIZE_TUNING_JOB, job.pk, task_id=finalize_id)),
    )


def _worker_limits(job: ParameterTuningJob) -> dict[str, int]:
    """A worker ends itself at the job's deadline; the Celery limits are a backstop."""
    if job.timeout_overall is None:
        return {}
    return {"soft_time_limit": job.timeout_overall + 120, "time_limit": job.timeout_overall + 240}

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from core.tasks import TaskName
from tuning.finalize import tuning_job_finalize
from tuning.prepare import tuning_job_prepare
from tuning.reaper import tuning_jobs_reap


@shared_task(bind=True, name=TaskName.PREPARE_TUNING_JOB)
def prepare_job(self: Task, job_id: int) -> None:
    tuning_job_prepare(job_id=job_id, task_id=self.request.id or "")


@shared_task(bind=True, name=TaskName.RUN_TUNING_TRIALS)
def run_trials(self: Task, job_id: int, worker_index: int) -> None:
    # Optuna loads with the first trial, not while the worker waits for one.
    from tuning.worker import tuning_job_work

    tuning_job_work(job_id=job_id, worker_index=worker_index, task_id=self.request.id or "")


@shared_task(bind=True, name=TaskName.FINALIZE_TUNING_JOB)
def finalize_job(self: Task, job_id: int, *_results: Any) -> None:
    tuning_job_finalize(job_id=job_id, task_id=self.request.id or "")


@shared_task(name=TaskName.REAP_STALLED_TUNING_JOBS)
def reap_stalled_jobs() -> list[int]:
    return tuning_jobs_reap()

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from retraining.services import retraining_runs_settle_job
from training.services import trained_models_reap
from tuning import engine, services


@shared_task(bind=True)
def tuning_prepare(self: Task, job_id: int) -> None:
    services.tuning_job_prepare(job_id=job_id, task_id=self.request.id or "")


@shared_task(bind=True)
def tuning_work(self: Task, job_id: int, worker_index: int) -> None:
    engine.tuning_job_work(job_id=job_id, worker_index=worker_index, task_id=self.request.id or "")


@shared_task(bind=True)
def tuning_finalize(self: Task, job_id: int, *_results: Any) -> None:
    services.tuning_job_finalize(job_id=job_id, task_id=self.request.id or "")
    retraining_runs_settle_job(job_id=job_id)


@shared_task
def reap_stalled_jobs() -> dict[str, list[int]]:
    return {
        "tuning_jobs": services.tuning_jobs_reap(),
        "trained_models": trained_models_reap(),
    }

from __future__ import annotations

from celery import shared_task

from retraining import services


@shared_task(name="retraining.tasks.scheduled_retrain")
def scheduled_retrain(schedule_id: int) -> None:
    services.retraining_scheduled_fire(schedule_id=schedule_id)


@shared_task(name="retraining.tasks.execute_retraining_run")
def execute_retraining_run(run_id: int) -> None:
    services.retraining_run_execute(run_id=run_id)

from __future__ import annotations

from celery import shared_task

from core.tasks import TaskName
from retraining import services
from retraining.execution import retraining_run_execute


@shared_task(name=TaskName.FIRE_RETRAINING_SCHEDULE)
def fire_schedule(schedule_id: int) -> None:
    services.retraining_scheduled_fire(schedule_id=schedule_id)


@shared_task(name=TaskName.EXECUTE_RETRAINING_RUN)
def execute_run(run_id: int) -> None:
    retraining_run_execute(run_id=run_id)

from __future__ import annotations

from celery import Task, shared_task

from retraining.services import retraining_runs_settle
from training import services


@shared_task(bind=True)
def train_model(self: Task, model_id: int) -> None:
    model = services.trained_model_train(model_id=model_id, task_id=self.request.id or "")
    retraining_runs_settle(trained_model=model)

from __future__ import annotations

from celery import Task, shared_task

from core.tasks import TaskName
from training import services


@shared_task(bind=True, name=TaskName.TRAIN_MODEL)
def train_model(self: Task, model_id: int) -> None:
    services.trained_model_train(model_id=model_id, task_id=self.request.id or "")


@shared_task(name=TaskName.REAP_STALLED_MODELS)
def reap_stalled_models() -> list[int]:
    return services.trained_models_reap()

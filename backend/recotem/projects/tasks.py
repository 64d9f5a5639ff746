from __future__ import annotations

from celery import shared_task

from core.tasks import TaskName
from projects.services import item_meta_data_validate, training_data_validate, uploads_reap


@shared_task(name=TaskName.VALIDATE_TRAINING_DATA)
def validate_training_data(training_data_id: int) -> None:
    training_data_validate(training_data_id=training_data_id)


@shared_task(name=TaskName.VALIDATE_ITEM_META_DATA)
def validate_item_meta_data(item_meta_data_id: int) -> None:
    item_meta_data_validate(item_meta_data_id=item_meta_data_id)


@shared_task(name=TaskName.REAP_STALLED_UPLOADS)
def reap_stalled_uploads() -> list[tuple[str, int]]:
    return uploads_reap()

from __future__ import annotations

from celery import shared_task

from projects.services import item_meta_data_validate, training_data_validate


@shared_task(name="projects.validate_training_data")
def validate_training_data(training_data_id: int) -> None:
    training_data_validate(training_data_id=training_data_id)


@shared_task(name="projects.validate_item_meta_data")
def validate_item_meta_data(item_meta_data_id: int) -> None:
    item_meta_data_validate(item_meta_data_id=item_meta_data_id)

"""A training whose worker process is killed (as the kernel's out-of-memory killer does)
is delivered again by the broker, but only ``MAX_TASK_DELIVERIES`` times: then the model
fails with the reason instead of occupying the worker for ever. A real Celery worker
with the production settings (``acks_late``, ``reject_on_worker_lost``), a real broker
and SIGKILL."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from core.models import JobStatus
from recotem.celery import app as celery_app
from tests.factories import ModelConfigurationFactory
from training.models import TrainedModel
from training.services import trained_model_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
TIMEOUT = 120


def _wait_for(condition: Any, what: str, log: Path) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _running_task_pid(task_id: str) -> int | None:
    """The pool process executing ``task_id``, as the worker reports it."""
    active = celery_app.control.inspect(timeout=1).active() or {}
    for tasks in active.values():
        for task in tasks:
            if task["id"] == task_id:
                return int(task["worker_pid"])
    return None


def test_a_training_whose_worker_keeps_dying_fails_after_the_delivery_limit(
    celery_worker: Path, project: Any, ml100k_data: Any
) -> None:
    # Large enough to be still fitting when its worker is killed.
    configuration = ModelConfigurationFactory(
        project=project,
        recommender_class_name="IALS",
        parameters_json={"n_components": 256, "train_epochs": 50},
    )
    model = trained_model_create(configuration=configuration, data=ml100k_data)

    for delivery in range(1, settings.MAX_TASK_DELIVERIES + 1):

        def running(delivery: int = delivery) -> bool:
            row = TrainedModel.objects.get(pk=model.pk)
            return row.status == JobStatus.RUNNING and row.deliveries == delivery

        _wait_for(running, f"delivery {delivery}", celery_worker)
        task_id = TrainedModel.objects.get(pk=model.pk).task_id
        pid = _wait_for(
            lambda task_id=task_id: _running_task_pid(task_id), "its process", celery_worker
        )
        os.kill(pid, signal.SIGKILL)

    def failed() -> TrainedModel | None:
        row = TrainedModel.objects.get(pk=model.pk)
        return row if row.status == JobStatus.FAILED else None

    row = _wait_for(failed, "the model to fail", celery_worker)
    assert row.error_message.startswith(
        f"The training was stopped {settings.MAX_TASK_DELIVERIES} times before finishing: "
        "its worker ran out of memory or was killed."
    )
    assert row.deliveries == settings.MAX_TASK_DELIVERIES + 1
    # Not delivered again: the worker is idle and the row stays as it is.
    time.sleep(2)
    assert _running_task_pid(row.task_id) is None
    assert TrainedModel.objects.get(pk=model.pk).status == JobStatus.FAILED

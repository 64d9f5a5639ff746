"""Celery tasks by name, and queueing them once the current transaction commits.

Every task is registered under an explicit name of one form, ``<app>.<function>``
(``training.train_model`` is ``train_model`` in ``training/tasks.py``), and every name
is listed in :class:`TaskName`. Services queue work by these names instead of importing
``tasks`` modules: a task module imports the services it runs, so it is an entry point
and never a dependency. Queue routing (``settings/celery.py``) and the periodic schedule
(``recotem/celery.py``) use the same names.

A name is written into broker messages and into beat's table of periodic tasks, so
renaming a task needs a migration for the rows that hold its name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from celery import current_app
from celery.canvas import Signature
from django.db import transaction

logger = logging.getLogger(__name__)


class TaskName(StrEnum):
    VALIDATE_TRAINING_DATA = "projects.validate_training_data"
    VALIDATE_ITEM_META_DATA = "projects.validate_item_meta_data"
    REAP_STALLED_UPLOADS = "projects.reap_stalled_uploads"
    PREPARE_TUNING_JOB = "tuning.prepare_job"
    RUN_TUNING_TRIALS = "tuning.run_trials"
    FINALIZE_TUNING_JOB = "tuning.finalize_job"
    REAP_STALLED_TUNING_JOBS = "tuning.reap_stalled_jobs"
    TRAIN_MODEL = "training.train_model"
    REAP_STALLED_MODELS = "training.reap_stalled_models"
    FIRE_RETRAINING_SCHEDULE = "retraining.fire_schedule"
    EXECUTE_RETRAINING_RUN = "retraining.execute_run"


def task(name: TaskName, *args: Any, **options: Any) -> Signature:
    """The named task called with ``args`` (ids, never objects). ``options`` are
    Celery's (``task_id``, ``countdown``, time limits). The signature is immutable: in a
    chain it ignores what the previous task returned."""
    return current_app.signature(str(name), args=args, options=options, immutable=True)


def queue_on_commit(
    work: Signature, *, on_failure: Callable[[Exception], None] | None = None
) -> None:
    """Send ``work`` (a task or a canvas of tasks) once the current transaction commits,
    so a worker never looks for a row it cannot see yet.

    When the broker refuses it, ``on_failure`` records why on the row whose work was
    lost; without one the error is raised to the caller.
    """

    def send() -> None:
        try:
            work.apply_async()
        except Exception as error:
            if on_failure is None:
                raise
            logger.exception("Queueing %s failed", work)
            on_failure(error)

    transaction.on_commit(send)

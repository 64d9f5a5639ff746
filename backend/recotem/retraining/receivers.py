"""Retraining's reactions to changes made elsewhere.

Runs wait on the models and tuning jobs they started; those apps announce every final
state with a signal, so a run settles however the work ended (a task, a direct service
call, a queueing failure, the reaper), not only when a Celery task happened to pass by.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from retraining.models import RetrainingSchedule
from retraining.services import (
    retraining_runs_settle,
    retraining_runs_settle_job,
    retraining_schedule_unschedule,
)
from training.models import TrainedModel
from training.signals import trained_model_finished
from tuning.models import ParameterTuningJob
from tuning.signals import tuning_job_finished


@receiver(trained_model_finished)
def settle_runs_of_model(sender: type[TrainedModel], *, model: TrainedModel, **kwargs: Any) -> None:
    retraining_runs_settle(trained_model=model)


@receiver(tuning_job_finished)
def settle_runs_of_job(
    sender: type[ParameterTuningJob], *, job: ParameterTuningJob, **kwargs: Any
) -> None:
    retraining_runs_settle_job(job=job)


# A receiver rather than a service call: a schedule is also deleted by the cascade of its
# project's deletion, and beat must never keep firing for a project that is gone.
@receiver(post_delete, sender=RetrainingSchedule)
def remove_beat_entry(
    sender: type[RetrainingSchedule], instance: RetrainingSchedule, **kwargs: Any
) -> None:
    retraining_schedule_unschedule(schedule=instance)

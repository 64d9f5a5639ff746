from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from retraining.models import RetrainingSchedule
from retraining.services import retraining_schedule_unschedule


# A receiver rather than a service call: a schedule is also deleted by the cascade of its
# project's deletion, and beat must never keep firing for a project that is gone.
@receiver(post_delete, sender=RetrainingSchedule)
def remove_beat_entry(
    sender: type[RetrainingSchedule], instance: RetrainingSchedule, **kwargs: Any
) -> None:
    retraining_schedule_unschedule(schedule=instance)

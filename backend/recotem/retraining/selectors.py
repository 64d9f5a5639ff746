from __future__ import annotations

from typing import Any

from projects.models import Project, TrainingData, ValidationStatus
from retraining.cron import describe
from retraining.models import RetrainingSchedule


def latest_valid_training_data(*, project: Project) -> TrainingData | None:
    return (
        TrainingData.objects.filter(project=project, validation_status=ValidationStatus.VALID)
        .order_by("-id")
        .first()
    )


def project_schedule(*, project_id: int) -> dict[str, Any] | None:
    schedule = RetrainingSchedule.objects.filter(project_id=project_id).first()
    if schedule is None:
        return None
    return {
        "id": schedule.pk,
        "is_enabled": schedule.is_enabled,
        "cron_expression": schedule.cron_expression,
        "cron_description": describe(schedule.cron_expression, schedule.timezone),
        "next_run_at": schedule.next_run_at,
        "last_run_at": schedule.last_run_at,
        "last_run_status": schedule.last_run_status,
    }

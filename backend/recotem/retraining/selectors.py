from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from projects.models import Project, TrainingData, ValidationStatus
from retraining import cron
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


# Enough upcoming firings for a person to check an expression's rhythm at a glance.
PREVIEW_RUNS = 5


def cron_preview(*, expression: str, timezone_name: str) -> dict[str, Any]:
    """What a schedule with this expression would do, or the 400 saving it would give."""
    cron.cron_fields(expression)
    cron.zone(timezone_name)
    cron.check_interval(expression, timezone_name, settings.RETRAINING_MIN_INTERVAL_MINUTES)
    runs: list[datetime] = []
    after = timezone.now()
    for _ in range(PREVIEW_RUNS):
        after = cron.next_run(expression, timezone_name, after)
        runs.append(after)
    return {"description": describe(expression, timezone_name), "next_runs": runs}

from __future__ import annotations

from projects.models import Project, TrainingData, ValidationStatus


def latest_valid_training_data(*, project: Project) -> TrainingData | None:
    return (
        TrainingData.objects.filter(project=project, validation_status=ValidationStatus.VALID)
        .order_by("-id")
        .first()
    )

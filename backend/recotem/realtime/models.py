from __future__ import annotations

from django.db import models

from core.models import TimeStampedModel


class TaskLog(TimeStampedModel):
    """A log line of a background task, kept independently of Celery's result rows."""

    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    project = models.ForeignKey(
        "projects.Project", null=True, on_delete=models.CASCADE, related_name="+"
    )
    task_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    tuning_job = models.ForeignKey(
        "tuning.ParameterTuningJob",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="logs",
    )
    trained_model = models.ForeignKey(
        "training.TrainedModel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="logs",
    )
    level = models.CharField(max_length=16, default="INFO")
    contents = models.TextField(blank=True)

    class Meta(TimeStampedModel.Meta):
        ordering = ["id"]

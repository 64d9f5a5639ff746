from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import JobStatus, TimeStampedModel


class ModelConfiguration(TimeStampedModel):
    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    name = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001 - kept nullable like the reference API
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE)
    recommender_class_name = models.CharField(max_length=128)
    parameters_json = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(TimeStampedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="unique_model_config_name_per_project"
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.recommender_class_name} #{self.pk}"


class TrainedModel(TimeStampedModel):
    OWNER_PATH = "configuration__project__owner"
    PROJECT_PATH = "configuration__project"

    configuration = models.ForeignKey(ModelConfiguration, on_delete=models.CASCADE)
    data_loc = models.ForeignKey("projects.TrainingData", on_delete=models.CASCADE)
    file = models.FileField(upload_to="models/", max_length=512, null=True, blank=True)
    # What the file is listed and downloaded as once renamed; empty means the default.
    basename = models.CharField(max_length=512, blank=True, default="")
    filesize = models.BigIntegerField(null=True, blank=True)
    irspack_version = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001 - kept nullable like the reference API
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    error_message = models.TextField(blank=True, default="")
    training_time = models.FloatField(null=True, blank=True)
    metrics_json = models.JSONField(default=dict, blank=True)
    version_tag = models.CharField(max_length=64, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=255, blank=True, default="")
    # Times a worker took the training; a worker that dies (out of memory) has it
    # delivered again, up to MAX_TASK_DELIVERIES.
    deliveries = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.version_tag or f"model #{self.pk}"

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class Project(TimeStampedModel):
    OWNER_PATH = "owner"
    PROJECT_PATH = "pk"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=256)
    user_column = models.CharField(max_length=256)
    item_column = models.CharField(max_length=256)
    # NULL means "no time column", as in the original API.
    time_column = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001

    class Meta(TimeStampedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="unique_project_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name


class ValidationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    VALIDATING = "VALIDATING", "Validating"
    VALID = "VALID", "Valid"
    INVALID = "INVALID", "Invalid"


class UploadedFile(TimeStampedModel):
    """A file a user uploaded; it is stored first and validated by a worker."""

    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    file = models.FileField(upload_to="uploads/%Y/%m/%d/", max_length=512, null=True)
    filesize = models.BigIntegerField(null=True, blank=True)
    basename = models.CharField(max_length=512, blank=True, default="")
    file_format = models.CharField(max_length=16, blank=True, default="")
    validation_status = models.CharField(
        max_length=16,
        choices=ValidationStatus.choices,
        default=ValidationStatus.PENDING,
        db_index=True,
    )
    validation_error = models.TextField(blank=True, default="")
    # Times a worker took the validation since it was last queued; a worker that dies
    # (out of memory) has it delivered again, up to MAX_TASK_DELIVERIES.
    deliveries = models.IntegerField(default=0)
    validated_at = models.DateTimeField(null=True, blank=True)
    n_rows = models.BigIntegerField(null=True, blank=True)
    columns = models.JSONField(default=list, blank=True)
    # SHA-256 of the stored bytes; scheduled retraining compares it to skip unchanged data.
    fingerprint = models.CharField(max_length=64, blank=True, default="", db_index=True)

    class Meta(TimeStampedModel.Meta):
        abstract = True


class TrainingData(UploadedFile):
    n_users = models.BigIntegerField(null=True, blank=True)
    n_items = models.BigIntegerField(null=True, blank=True)

    class Meta(UploadedFile.Meta):
        verbose_name_plural = "training data"

    def __str__(self) -> str:
        return f"{self.basename} ({self.project})"


class ItemMetaData(UploadedFile):
    valid_columns_list_json = models.JSONField(null=True, blank=True)
    n_items = models.BigIntegerField(null=True, blank=True)

    class Meta(UploadedFile.Meta):
        verbose_name_plural = "item metadata"

    def __str__(self) -> str:
        return f"{self.basename} ({self.project})"


# Either kind of uploaded table, where the code treats both alike.
Upload = TrainingData | ItemMetaData


class SampleProject(TimeStampedModel):
    """A project built from the MovieLens 100K sample; the model its tuning job trains
    is deployed to the project's ``production`` slot."""

    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="sample")
    tuning_job = models.OneToOneField(
        "tuning.ParameterTuningJob", on_delete=models.CASCADE, related_name="sample"
    )

    def __str__(self) -> str:
        return f"sample {self.project}"

from __future__ import annotations

from django.db import models

from core.limits import DEFAULT_RETRIES, DEFAULT_TRIALS
from core.models import TimeStampedModel

DEFAULT_CRON_EXPRESSION = "0 2 * * 0"  # Sundays at 02:00
DEFAULT_TIMEZONE = "UTC"
# What a client sets on a schedule; the rest of its row is the server's.
SCHEDULE_SETTINGS = (
    "is_enabled",
    "cron_expression",
    "timezone",
    "training_data",
    "model_configuration",
    "retune",
    "split_config",
    "evaluation_config",
    "n_trials",
    "max_retries",
    "notify_on_failure",
    "auto_deploy",
    "deploy_slot",
)


class RetrainingSchedule(TimeStampedModel):
    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    class RunStatus(models.TextChoices):
        SUCCESS = "SUCCESS", "Success"
        FAILED = "FAILED", "Failed"
        SKIPPED = "SKIPPED", "Skipped"

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="retraining_schedule"
    )
    is_enabled = models.BooleanField(default=False)
    cron_expression = models.CharField(max_length=100, default=DEFAULT_CRON_EXPRESSION)
    timezone = models.CharField(max_length=64, default=DEFAULT_TIMEZONE)
    training_data = models.ForeignKey(
        "projects.TrainingData", null=True, blank=True, on_delete=models.SET_NULL
    )
    model_configuration = models.ForeignKey(
        "training.ModelConfiguration", null=True, blank=True, on_delete=models.SET_NULL
    )
    retune = models.BooleanField(default=False)
    split_config = models.ForeignKey(
        "tuning.SplitConfig", null=True, blank=True, on_delete=models.SET_NULL
    )
    evaluation_config = models.ForeignKey(
        "tuning.EvaluationConfig", null=True, blank=True, on_delete=models.SET_NULL
    )
    n_trials = models.IntegerField(default=DEFAULT_TRIALS)
    max_retries = models.IntegerField(default=DEFAULT_RETRIES)
    notify_on_failure = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # Nullable, unlike other text fields, so "never ran" reads as null as older clients expect.
    last_run_status = models.CharField(  # noqa: DJ001
        max_length=16, choices=RunStatus.choices, null=True, blank=True
    )
    next_run_at = models.DateTimeField(null=True, blank=True)
    auto_deploy = models.BooleanField(default=False)
    deploy_slot = models.ForeignKey(
        "deployments.DeploymentSlot", null=True, blank=True, on_delete=models.SET_NULL
    )
    last_data_fingerprint = models.CharField(max_length=64, blank=True, default="")
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"retraining of {self.project}"


class RetrainingRun(TimeStampedModel):
    OWNER_PATH = "schedule__project__owner"
    PROJECT_PATH = "schedule__project"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        RUNNING = "RUNNING", "Running"
        COMPLETED = "COMPLETED", "Completed"
        FAILED = "FAILED", "Failed"
        SKIPPED = "SKIPPED", "Skipped"

    class Trigger(models.TextChoices):
        SCHEDULED = "SCHEDULED", "Scheduled"
        MANUAL = "MANUAL", "Manual"

    schedule = models.ForeignKey(RetrainingSchedule, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULED)
    trained_model = models.ForeignKey(
        "training.TrainedModel", null=True, blank=True, on_delete=models.SET_NULL
    )
    tuning_job = models.ForeignKey(
        "tuning.ParameterTuningJob", null=True, blank=True, on_delete=models.SET_NULL
    )
    error_message = models.TextField(blank=True, default="")
    attempt = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    data_rows_at_trigger = models.BigIntegerField(null=True, blank=True)
    data_fingerprint = models.CharField(max_length=64, blank=True, default="")

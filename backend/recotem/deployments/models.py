from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models import TimeStampedModel

# A slot's share of its project's traffic is its weight over the sum of active weights.
MAX_WEIGHT = 100.0
DEFAULT_TARGET_METRIC = "ctr"
DEFAULT_MIN_SAMPLE_SIZE = 1000
MIN_CONFIDENCE_LEVEL, DEFAULT_CONFIDENCE_LEVEL, MAX_CONFIDENCE_LEVEL = 0.5, 0.95, 0.999


class DeploymentSlot(TimeStampedModel):
    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="deployment_slots"
    )
    name = models.CharField(max_length=256)
    trained_model = models.ForeignKey(
        "training.TrainedModel", on_delete=models.PROTECT, related_name="deployment_slots"
    )
    weight = models.FloatField(
        default=MAX_WEIGHT, validators=[MinValueValidator(0.0), MaxValueValidator(MAX_WEIGHT)]
    )
    is_active = models.BooleanField(default=True)

    class Meta(TimeStampedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_slot_name_per_project")
        ]

    def __str__(self) -> str:
        return self.name


class ABTest(TimeStampedModel):
    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        RUNNING = "RUNNING", "Running"
        COMPLETED = "COMPLETED", "Completed"
        CANCELLED = "CANCELLED", "Cancelled"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="ab_tests"
    )
    name = models.CharField(max_length=256)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    control_slot = models.ForeignKey(
        DeploymentSlot, on_delete=models.CASCADE, related_name="control_tests"
    )
    variant_slot = models.ForeignKey(
        DeploymentSlot, on_delete=models.CASCADE, related_name="variant_tests"
    )
    target_metric_name = models.CharField(max_length=50, default=DEFAULT_TARGET_METRIC)
    min_sample_size = models.IntegerField(
        default=DEFAULT_MIN_SAMPLE_SIZE, validators=[MinValueValidator(1)]
    )
    confidence_level = models.FloatField(
        default=DEFAULT_CONFIDENCE_LEVEL,
        validators=[
            MinValueValidator(MIN_CONFIDENCE_LEVEL),
            MaxValueValidator(MAX_CONFIDENCE_LEVEL),
        ],
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    winner_slot = models.ForeignKey(
        DeploymentSlot,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="won_tests",
    )
    # The lowest always-valid p-value seen at any look at the results. Keeping the minimum
    # makes the reported value never rise between looks, as the sequential test requires.
    sequential_p_value = models.FloatField(default=1.0)

    class Meta(TimeStampedModel.Meta):
        constraints = [
            # Traffic is routed by one running test per project (recotem_common.routing).
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status="RUNNING"),
                name="one_running_ab_test_per_project",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Impression(models.Model):
    """One response of the inference service, written by that service in batches."""

    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE)
    deployment_slot = models.ForeignKey(
        DeploymentSlot, null=True, on_delete=models.SET_NULL, related_name="impressions"
    )
    trained_model_id = models.BigIntegerField(null=True)
    request_id = models.UUIDField(unique=True)
    user_id = models.CharField(max_length=256)
    item_ids = models.JSONField(default=list)
    timestamp = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["deployment_slot", "timestamp"])]

    def __str__(self) -> str:
        return f"impression {self.request_id}"


class ConversionEvent(models.Model):
    OWNER_PATH = "project__owner"
    PROJECT_PATH = "project"

    class EventType(models.TextChoices):
        IMPRESSION = "impression", "Impression"
        CLICK = "click", "Click"
        PURCHASE = "purchase", "Purchase"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE)
    # Null for a conversion of a direct prediction (/predict/{model_id}), served by no slot.
    deployment_slot = models.ForeignKey(
        DeploymentSlot,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="conversion_events",
    )
    user_id = models.CharField(max_length=256)
    item_id = models.CharField(max_length=256, blank=True, default="")
    event_type = models.CharField(max_length=16, choices=EventType.choices)
    # Null when no impression could be tied to the event (it is counted apart).
    recommendation_request_id = models.UUIDField(null=True, blank=True, db_index=True)
    timestamp = models.DateTimeField(auto_now_add=True)
    metadata_json = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["project", "deployment_slot", "event_type", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.event_type} of {self.user_id}"

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.fields import IdField, OwnedPrimaryKeyRelatedField
from core.serializers import QuerySerializer
from deployments.models import (
    DEFAULT_CONFIDENCE_LEVEL,
    DEFAULT_MIN_SAMPLE_SIZE,
    MAX_CONFIDENCE_LEVEL,
    MAX_WEIGHT,
    MIN_CONFIDENCE_LEVEL,
    ABTest,
    ConversionEvent,
    DeploymentSlot,
)
from projects.models import Project
from recotem_common.serving import MAX_MINUTES
from training.models import TrainedModel
from training.selectors import trained_model_basename


class DeploymentSlotSerializer(serializers.ModelSerializer):
    project = OwnedPrimaryKeyRelatedField(queryset=Project.objects.all())
    trained_model = OwnedPrimaryKeyRelatedField(queryset=TrainedModel.objects.all())
    weight = serializers.FloatField(min_value=0.0, max_value=MAX_WEIGHT, default=MAX_WEIGHT)
    trained_model_name = serializers.SerializerMethodField(
        help_text="The served model's file name, as the models list shows it."
    )
    trained_model_version_tag = serializers.CharField(
        source="trained_model.version_tag", read_only=True
    )

    def get_trained_model_name(self, slot: DeploymentSlot) -> str:
        return trained_model_basename(model=slot.trained_model)

    class Meta:
        model = DeploymentSlot
        fields = (
            "id",
            "project",
            "name",
            "trained_model",
            "trained_model_name",
            "trained_model_version_tag",
            "weight",
            "is_active",
            "ins_datetime",
            "updated_at",
        )
        read_only_fields = ("ins_datetime", "updated_at")
        validators: list[object] = []


class ABTestSerializer(serializers.ModelSerializer):
    project = OwnedPrimaryKeyRelatedField(queryset=Project.objects.all())
    control_slot = OwnedPrimaryKeyRelatedField(queryset=DeploymentSlot.objects.all())
    variant_slot = OwnedPrimaryKeyRelatedField(queryset=DeploymentSlot.objects.all())
    confidence_level = serializers.FloatField(
        min_value=MIN_CONFIDENCE_LEVEL,
        max_value=MAX_CONFIDENCE_LEVEL,
        default=DEFAULT_CONFIDENCE_LEVEL,
    )
    min_sample_size = serializers.IntegerField(min_value=1, default=DEFAULT_MIN_SAMPLE_SIZE)

    class Meta:
        model = ABTest
        fields = (
            "id",
            "project",
            "name",
            "status",
            "control_slot",
            "variant_slot",
            "target_metric_name",
            "min_sample_size",
            "confidence_level",
            "started_at",
            "ended_at",
            "winner_slot",
            "ins_datetime",
            "updated_at",
        )
        read_only_fields = (
            "status",
            "started_at",
            "ended_at",
            "winner_slot",
            "ins_datetime",
            "updated_at",
        )


class PromoteWinnerSerializer(serializers.Serializer):
    slot = OwnedPrimaryKeyRelatedField(
        queryset=DeploymentSlot.objects.all(), required=False, allow_null=True
    )
    slot_id = OwnedPrimaryKeyRelatedField(
        queryset=DeploymentSlot.objects.all(),
        required=False,
        allow_null=True,
        help_text="The reference's name for slot.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        slot, slot_id = attrs.get("slot"), attrs.get("slot_id")
        if slot is not None and slot_id is not None and slot != slot_id:
            raise serializers.ValidationError(
                {"slot_id": ["Give slot or slot_id, or the same slot in both."]}
            )
        return {"slot": slot or slot_id}


class ConversionEventSerializer(serializers.ModelSerializer):
    deployment_slot = OwnedPrimaryKeyRelatedField(
        queryset=DeploymentSlot.objects.all(), required=False, allow_null=True
    )
    recommendation_request_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The request_id the inference API answered with. Without it, give "
        "deployment_slot and user_id: the event is tied to that user's latest impression "
        "in the slot, or kept unattributed.",
    )
    user_id = IdField(required=False, allow_blank=True)
    item_id = IdField(required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("recommendation_request_id") is None:
            needed = {
                "deployment_slot": "Give the slot that served the user, or the request_id.",
                "user_id": "Give the user who converted, or the request_id.",
            }
            missing = {name: [message] for name, message in needed.items() if not attrs.get(name)}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs

    class Meta:
        model = ConversionEvent
        fields = (
            "id",
            "project",
            "deployment_slot",
            "user_id",
            "item_id",
            "event_type",
            "recommendation_request_id",
            "timestamp",
            "metadata_json",
        )
        read_only_fields = ("project", "timestamp")


class ConversionEventBatchSerializer(serializers.Serializer):
    """The reference's ``conversion_event/batch/`` body."""

    events = serializers.ListField(child=serializers.DictField(), allow_empty=True)


class SlotTrafficSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    impressions = serializers.ListField(
        child=serializers.IntegerField(), help_text="One count per entry of dates."
    )
    conversions = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Clicks and purchases reported for the slot, one count per entry of dates.",
    )


class ProjectTrafficSerializer(serializers.Serializer[Any]):
    """Shape of ``project_traffic/<id>/`` for the schema; the selector builds the data."""

    dates = serializers.ListField(
        child=serializers.DateField(), help_text="The last 30 days in UTC, today last."
    )
    slots = SlotTrafficSerializer(many=True)


class ServingQuerySerializer(QuerySerializer):
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=MAX_MINUTES,
        default=60,
        help_text="How many minutes back, the current one included.",
    )


class ServingTallySerializer(serializers.Serializer[dict[str, Any]]):
    requests = serializers.IntegerField()
    successes = serializers.IntegerField()
    # DRF's metaclass takes declared fields off the class, so Serializer.errors stays.
    errors = serializers.IntegerField(  # type: ignore[assignment]
        help_text="Answers with a 4xx or 5xx status."
    )
    error_rate = serializers.FloatField()
    p50_ms = serializers.FloatField(
        allow_null=True, help_text="Median latency, interpolated in fixed buckets."
    )
    p99_ms = serializers.FloatField(allow_null=True)


class ServingTotalsSerializer(ServingTallySerializer):
    statuses = serializers.DictField(
        child=serializers.IntegerField(), help_text="Answers by HTTP status."
    )
    error_codes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Error answers by error code."
    )


class ServingMinuteSerializer(ServingTallySerializer):
    minute = serializers.IntegerField(help_text="The minute's start, in Unix seconds.")


class ServingSlotSerializer(serializers.Serializer[dict[str, Any]]):
    slot_id = serializers.IntegerField(
        allow_null=True, help_text="None for requests straight to a model."
    )
    slot_name = serializers.CharField(
        allow_null=True, help_text="None without a slot, or for a slot deleted since."
    )
    model_ids = serializers.ListField(child=serializers.IntegerField())
    totals = ServingTotalsSerializer()
    minutes = ServingMinuteSerializer(many=True)


class ServingModelSerializer(serializers.Serializer[dict[str, Any]]):
    model_id = serializers.IntegerField(
        allow_null=True, help_text="None for requests refused before their model was known."
    )
    totals = ServingTotalsSerializer()


class ServingFiguresSerializer(serializers.Serializer[dict[str, Any]]):
    project_id = serializers.IntegerField()
    minutes = serializers.IntegerField()
    since = serializers.IntegerField(help_text="The window's start, in Unix seconds.")
    until = serializers.IntegerField()
    uptime_seconds = serializers.FloatField(
        allow_null=True,
        help_text="Since the oldest running inference worker started; null when none reported.",
    )
    instances = serializers.IntegerField(
        help_text="Inference workers that reported in the last 30 seconds."
    )
    totals = ServingTotalsSerializer()
    slots = ServingSlotSerializer(many=True)
    models = ServingModelSerializer(many=True)

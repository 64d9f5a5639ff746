from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import serializers

from core.fields import OwnedPrimaryKeyRelatedField
from core.limits import DEFAULT_RETRIES, DEFAULT_TRIALS, MAX_RETRIES, MAX_TRIALS
from deployments.models import DeploymentSlot
from projects.models import Project, TrainingData
from retraining import cron
from retraining.models import (
    DEFAULT_TIMEZONE,
    SCHEDULE_SETTINGS,
    RetrainingRun,
    RetrainingSchedule,
)
from training.models import ModelConfiguration
from tuning.models import EvaluationConfig, SplitConfig


def _owned(model: type[Model], **kwargs: Any) -> OwnedPrimaryKeyRelatedField:
    return OwnedPrimaryKeyRelatedField(queryset=model._default_manager.all(), **kwargs)


class RetrainingScheduleSerializer(serializers.ModelSerializer):
    project = _owned(Project)
    training_data = _owned(TrainingData, required=False, allow_null=True)
    model_configuration = _owned(ModelConfiguration, required=False, allow_null=True)
    split_config = _owned(SplitConfig, required=False, allow_null=True)
    evaluation_config = _owned(EvaluationConfig, required=False, allow_null=True)
    deploy_slot = _owned(DeploymentSlot, required=False, allow_null=True)
    n_trials = serializers.IntegerField(min_value=1, max_value=MAX_TRIALS, default=DEFAULT_TRIALS)
    max_retries = serializers.IntegerField(
        min_value=0, max_value=MAX_RETRIES, default=DEFAULT_RETRIES
    )
    cron_description = serializers.SerializerMethodField()

    class Meta:
        model = RetrainingSchedule
        read_only_fields = (
            "last_run_at",
            "last_run_status",
            "next_run_at",
            "ins_datetime",
            "updated_at",
        )
        fields = ("id", "project", *SCHEDULE_SETTINGS, "cron_description", *read_only_fields)
        validators: list[object] = []

    def get_cron_description(self, schedule: RetrainingSchedule) -> str:
        return cron.describe(schedule.cron_expression, schedule.timezone)


class RetrainingRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetrainingRun
        fields = (
            "id",
            "schedule",
            "status",
            "trigger",
            "trained_model",
            "tuning_job",
            "error_message",
            "attempt",
            "started_at",
            "completed_at",
            "data_rows_at_trigger",
            "data_fingerprint",
            "ins_datetime",
        )
        read_only_fields = fields


class CronPreviewQuerySerializer(serializers.Serializer):
    cron_expression = serializers.CharField(max_length=100)
    timezone = serializers.CharField(max_length=64, default=DEFAULT_TIMEZONE)


class CronPreviewSerializer(serializers.Serializer):
    description = serializers.CharField()
    next_runs = serializers.ListField(child=serializers.DateTimeField())

from __future__ import annotations

from typing import Any

from django.db.models import Field
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import OwnedPrimaryKeyRelatedField
from core.serializers import TaskLinkSerializer, task_links
from projects.models import TrainingData
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig


class SplitConfigSerializer(serializers.ModelSerializer[SplitConfig]):
    class Meta:
        model = SplitConfig
        fields = [
            "id",
            "name",
            "scheme",
            "heldout_ratio",
            "n_heldout",
            "test_user_ratio",
            "n_test_users",
            "random_seed",
            "created_by",
            "ins_datetime",
            "updated_at",
        ]
        read_only_fields = ["created_by", "ins_datetime", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def value(name: str) -> Any:
            if name in attrs:
                return attrs[name]
            if self.instance is not None:
                return getattr(self.instance, name)
            field = SplitConfig._meta.get_field(name)
            assert isinstance(field, Field)
            return field.get_default()

        errors: dict[str, str] = {}
        if value("heldout_ratio") <= 0 and value("n_heldout") is None:
            errors["heldout_ratio"] = (
                "With heldout_ratio 0 nothing is held out; use a ratio above 0 or set n_heldout."
            )
        if value("test_user_ratio") <= 0 and value("n_test_users") is None:
            errors["test_user_ratio"] = (
                "With test_user_ratio 0 no user is validated; use a ratio above 0 or set "
                "n_test_users."
            )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class EvaluationConfigSerializer(serializers.ModelSerializer[EvaluationConfig]):
    class Meta:
        model = EvaluationConfig
        fields = [
            "id",
            "name",
            "cutoff",
            "target_metric",
            "created_by",
            "ins_datetime",
            "updated_at",
        ]
        read_only_fields = ["created_by", "ins_datetime", "updated_at"]


class ParameterTuningJobSerializer(serializers.ModelSerializer[ParameterTuningJob]):
    data = OwnedPrimaryKeyRelatedField(queryset=TrainingData.objects.all())  # type: ignore[assignment]
    split = OwnedPrimaryKeyRelatedField(queryset=SplitConfig.objects.all())
    evaluation = OwnedPrimaryKeyRelatedField(queryset=EvaluationConfig.objects.all())
    tried_algorithms_json = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='Algorithm names to search (e.g. ["IALS", "RP3beta"]); '
        "empty or null for the default set.",
    )
    basename = serializers.CharField(
        source="data.basename", read_only=True, help_text="The tuned training data's file."
    )
    task_links = serializers.SerializerMethodField()

    @extend_schema_field(TaskLinkSerializer(many=True))
    def get_task_links(self, job: ParameterTuningJob) -> list[dict[str, Any]]:
        return task_links(
            task_ids=job.task_ids or [],
            status=job.status,
            created=job.started_at or job.ins_datetime,
            finished=job.finished_at,
        )

    class Meta:
        model = ParameterTuningJob
        # What a client sets when creating a job; everything after it is computed by the server.
        writable = [
            "data",
            "split",
            "evaluation",
            "n_tasks_parallel",
            "n_trials",
            "memory_budget",
            "timeout_overall",
            "timeout_singlestep",
            "random_seed",
            "tried_algorithms_json",
            "train_after_tuning",
        ]
        read_only_fields = [
            "irspack_version",
            "status",
            "error_message",
            "best_config",
            "best_score",
            "best_algorithm",
            "tuned_model",
            "n_trials_finished",
            "cancel_requested",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "task_ids",
            "ins_datetime",
            "updated_at",
        ]
        fields = ["id", *writable, *read_only_fields, "basename", "task_links"]


class TrialSerializer(serializers.Serializer[dict[str, Any]]):
    number = serializers.IntegerField()
    algorithm = serializers.CharField()
    params = serializers.DictField()
    score = serializers.FloatField(allow_null=True)
    state = serializers.CharField(help_text="COMPLETE, PRUNED, FAIL, RUNNING or WAITING")
    duration_seconds = serializers.FloatField(allow_null=True)
    worker = serializers.IntegerField(allow_null=True)
    scores = serializers.DictField(help_text="Every metric at the job's cutoff.")
    message = serializers.CharField(help_text="Why a trial failed or was skipped.")
    split_sha256 = serializers.CharField(allow_null=True)

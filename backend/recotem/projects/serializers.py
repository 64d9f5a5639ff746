from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.fields import OwnedPrimaryKeyRelatedField, StoredFileField
from core.serializers import QuerySerializer
from projects.models import ItemMetaData, Project, TrainingData, ValidationStatus
from projects.readers import accepted_formats_text


class ProjectSerializer(serializers.ModelSerializer[Project]):
    time_column = serializers.CharField(
        max_length=256, required=False, allow_null=True, allow_blank=True
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "user_column",
            "item_column",
            "time_column",
            "owner",
            "ins_datetime",
            "updated_at",
        ]
        read_only_fields = ["owner", "ins_datetime", "updated_at"]
        # Uniqueness per owner is checked by the service, which knows the owner.
        validators: list[Any] = []


UPLOAD_SERVER_FIELDS = [
    "basename",
    "filesize",
    "file_format",
    "fingerprint",
    "validation_status",
    "validation_error",
    "validated_at",
    "n_rows",
    "columns",
    "ins_datetime",
    "updated_at",
]


class UploadSerializer(serializers.ModelSerializer[Any]):
    """Create with multipart ``project`` and ``file``; everything else is computed."""

    project = OwnedPrimaryKeyRelatedField(queryset=Project.objects.all())
    file = StoredFileField(
        allow_empty_file=True,
        help_text=f"Accepted formats: {accepted_formats_text()}.",
    )


class TrainingDataSerializer(UploadSerializer):
    class Meta:
        model = TrainingData
        fields = ["id", "project", "file", *UPLOAD_SERVER_FIELDS, "n_users", "n_items"]
        read_only_fields = [*UPLOAD_SERVER_FIELDS, "n_users", "n_items"]


class ItemMetaDataSerializer(UploadSerializer):
    class Meta:
        model = ItemMetaData
        fields = [
            "id",
            "project",
            "file",
            *UPLOAD_SERVER_FIELDS,
            "n_items",
            "valid_columns_list_json",
        ]
        read_only_fields = [*UPLOAD_SERVER_FIELDS, "n_items", "valid_columns_list_json"]


PREVIEW_DEFAULT_ROWS = 50
PREVIEW_MAX_ROWS = 1000


class PreviewQuerySerializer(QuerySerializer):
    n_rows = serializers.IntegerField(
        min_value=1,
        default=PREVIEW_DEFAULT_ROWS,
        help_text=f"Rows to return (default {PREVIEW_DEFAULT_ROWS}, at most {PREVIEW_MAX_ROWS}).",
        error_messages=dict.fromkeys(
            ("invalid", "min_value"), "n_rows must be a positive whole number."
        ),
    )

    def validate_n_rows(self, value: int) -> int:
        # More rows than the most a preview shows get the most, not a refusal.
        return min(value, PREVIEW_MAX_ROWS)


class PreviewSerializer(serializers.Serializer[Any]):
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())
    total_rows = serializers.IntegerField(
        allow_null=True, help_text="Rows of the whole file; null until it is validated."
    )


ITEM_LOOKUP_MAX = 1000


class ItemLookupQuerySerializer(QuerySerializer):
    item_id = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False),
        min_length=1,
        max_length=ITEM_LOOKUP_MAX,
        help_text=f"Items to describe: repeat the parameter, 1 to {ITEM_LOOKUP_MAX} times.",
        error_messages={
            "min_length": "Name at least one item: ?item_id=…",
            "max_length": f"At most {ITEM_LOOKUP_MAX} items at a time.",
            "required": "Name at least one item: ?item_id=…",
        },
    )


class ItemLookupSerializer(serializers.Serializer[Any]):
    item_column = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="One row per distinct item asked for, in order; nulls where it has no metadata.",
    )


class LatestTrainingDataSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    basename = serializers.CharField()
    validation_status = serializers.ChoiceField(choices=ValidationStatus.choices)
    n_rows = serializers.IntegerField(allow_null=True)
    n_users = serializers.IntegerField(allow_null=True)
    n_items = serializers.IntegerField(allow_null=True)
    ins_datetime = serializers.DateTimeField()


class ScheduleStateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    is_enabled = serializers.BooleanField()
    cron_expression = serializers.CharField()
    cron_description = serializers.CharField()
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_run_at = serializers.DateTimeField(allow_null=True)
    last_run_status = serializers.CharField(allow_null=True)


class ActiveSlotSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    trained_model = serializers.IntegerField()
    weight = serializers.FloatField()
    traffic_share = serializers.FloatField(help_text="Share of requests routed here, 0 to 1.")


class RunningAbTestSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    control_slot = serializers.IntegerField()
    variant_slot = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)


class ProjectSummarySerializer(serializers.Serializer[Any]):
    """Shape of ``project_summary/<id>/`` for the schema; the selector builds the data."""

    project = serializers.IntegerField()
    name = serializers.CharField()
    ins_datetime = serializers.DateTimeField()
    n_data = serializers.IntegerField(help_text="Training data uploads.")
    n_valid_data = serializers.IntegerField(help_text="Training data that validated.")
    n_item_meta_data = serializers.IntegerField()
    n_model_configurations = serializers.IntegerField()
    n_models = serializers.IntegerField(help_text="Trained models that completed.")
    n_tuning_jobs = serializers.IntegerField()
    tuning_jobs_by_status = serializers.DictField(child=serializers.IntegerField())
    n_complete_jobs = serializers.IntegerField()
    n_deployment_slots = serializers.IntegerField()
    n_active_deployment_slots = serializers.IntegerField()
    n_api_keys = serializers.IntegerField()
    n_active_api_keys = serializers.IntegerField(help_text="Keys neither revoked nor expired.")
    latest_training_data = LatestTrainingDataSerializer(allow_null=True)
    retraining_schedule = ScheduleStateSerializer(allow_null=True)
    active_slots = ActiveSlotSerializer(many=True)
    running_ab_tests = RunningAbTestSerializer(many=True)


class UploadLimitsSerializer(serializers.Serializer[Any]):
    """Shape of ``upload_limits/`` for the schema; the selector builds the data."""

    max_upload_size = serializers.IntegerField(help_text="Largest file accepted, in bytes.")
    accepted_suffixes = serializers.ListField(
        child=serializers.CharField(), help_text="File name endings of the accepted formats."
    )
    compressed_suffix = serializers.CharField(
        help_text="Added after a format's ending when the file is gzipped."
    )


class SampleKeySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    key = serializers.CharField(help_text="The key's secret, shown only in this answer.")


class SampleProjectSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField()
    project_name = serializers.CharField()
    training_data = serializers.IntegerField()
    item_meta_data = serializers.IntegerField()
    tuning_job = serializers.IntegerField()
    slot_name = serializers.CharField(
        help_text="The slot the tuned model is deployed to once it is trained."
    )
    api_key = SampleKeySerializer()
    example_request = serializers.CharField(
        help_text="A curl command for recommendations with titles, ready once the slot exists."
    )
    data_terms = serializers.CharField(help_text="MovieLens 100K's terms of use.")

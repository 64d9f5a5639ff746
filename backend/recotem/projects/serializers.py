from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.fields import OwnedPrimaryKeyRelatedField
from core.serializers import QuerySerializer
from projects.models import ItemMetaData, Project, TrainingData
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
    file = serializers.FileField(
        use_url=False,
        allow_empty_file=True,
        help_text=f"Accepted formats: {accepted_formats_text()}.",
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["file"] = instance.file.name if instance.file else None
        return data


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
    latest_training_data = serializers.DictField(allow_null=True)

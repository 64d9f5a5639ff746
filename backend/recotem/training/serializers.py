from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import IdField, OwnedPrimaryKeyRelatedField
from core.serializers import QuerySerializer, TaskLinkSerializer, task_links
from projects.models import Project, TrainingData
from recotem_common.limits import DEFAULT_CUTOFF, MAX_CUTOFF, MAX_ITEM_IDS
from training import selectors
from training.models import ModelConfiguration, TrainedModel


class ModelConfigurationSerializer(serializers.ModelSerializer[ModelConfiguration]):
    project = OwnedPrimaryKeyRelatedField(queryset=Project.objects.all())
    tuning_job: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The tuning job that found this configuration."
    )
    parameters_json = serializers.JSONField(
        required=False,
        default=dict,
        help_text='Keyword arguments of the recommender class, e.g. {"n_components": 64}.',
    )

    class Meta:
        model = ModelConfiguration
        fields = [
            "id",
            "name",
            "project",
            "recommender_class_name",
            "parameters_json",
            "tuning_job",
            "created_by",
            "ins_datetime",
            "updated_at",
        ]
        read_only_fields = ["created_by", "ins_datetime", "updated_at"]
        # The (project, name) uniqueness is checked by the service, with a clearer message.
        validators: list[Any] = []


class TrainedModelSerializer(serializers.ModelSerializer[TrainedModel]):
    configuration = OwnedPrimaryKeyRelatedField(queryset=ModelConfiguration.objects.all())
    data_loc = OwnedPrimaryKeyRelatedField(queryset=TrainingData.objects.all())
    project = serializers.IntegerField(source="configuration.project_id", read_only=True)
    # Names beside the ids, so a list can show them without a request per row.
    algorithm = serializers.CharField(source="configuration.recommender_class_name", read_only=True)
    configuration_name = serializers.CharField(
        source="configuration.name", read_only=True, allow_null=True
    )
    data_basename = serializers.CharField(source="data_loc.basename", read_only=True)
    file = serializers.CharField(source="file.name", read_only=True, allow_null=True)
    basename = serializers.SerializerMethodField(
        help_text="What the file is downloaded as; change it with PATCH."
    )
    task_links = serializers.SerializerMethodField()

    def get_basename(self, model: TrainedModel) -> str:
        return selectors.trained_model_basename(model=model)

    @extend_schema_field(TaskLinkSerializer(many=True))
    def get_task_links(self, model: TrainedModel) -> list[dict[str, Any]]:
        return task_links(
            task_ids=[model.task_id],
            status=model.status,
            created=model.started_at or model.ins_datetime,
            finished=model.finished_at,
        )

    class Meta:
        model = TrainedModel
        # What a client sets when asking for training; the rest is the server's.
        writable = ["configuration", "data_loc"]
        read_only_fields = [
            "status",
            "error_message",
            "version_tag",
            "filesize",
            "training_time",
            "metrics_json",
            "irspack_version",
            "task_id",
            "started_at",
            "finished_at",
            "ins_datetime",
            "updated_at",
        ]
        fields = [
            "id",
            *writable,
            "project",
            "algorithm",
            "configuration_name",
            "data_basename",
            "file",
            "basename",
            *read_only_fields,
            "task_links",
        ]


class RecommendationSerializer(serializers.Serializer[dict[str, Any]]):
    item_id = serializers.CharField()
    score = serializers.FloatField()


class UserRecommendationSerializer(serializers.Serializer[dict[str, Any]]):
    user_id = serializers.CharField()
    user_profile = serializers.ListField(child=serializers.CharField())
    recommendations = RecommendationSerializer(many=True)


class MetadataRecommendationSerializer(serializers.Serializer[dict[str, Any]]):
    user_id = serializers.CharField()
    user_profile = serializers.ListField(
        child=serializers.DictField(), help_text="Metadata rows of the items the user saw."
    )
    recommendations = serializers.ListField(
        child=serializers.DictField(), help_text="Metadata rows plus 'score'."
    )


CUTOFF_MESSAGE = f"cutoff must be a whole number from 1 to {MAX_CUTOFF}."


def _cutoff() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_CUTOFF,
        default=DEFAULT_CUTOFF,
        help_text=f"How many items (1-{MAX_CUTOFF}, default {DEFAULT_CUTOFF}).",
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), CUTOFF_MESSAGE),
    )


class CutoffQuerySerializer(QuerySerializer):
    cutoff = _cutoff()


class RecommendationQuerySerializer(CutoffQuerySerializer):
    user_id = IdField(
        help_text="A user the model was trained on.",
        error_messages=dict.fromkeys(("required", "blank"), "Give the user_id query parameter."),
    )
    shape = serializers.ChoiceField(
        choices=["full", "list"],
        default="full",
        help_text="full (the default): the user, their history and the recommendations; "
        "list: only the recommended [{item_id, score}], as the reference answered.",
    )


class ProfileRequestSerializer(serializers.Serializer[dict[str, Any]]):
    item_ids = serializers.ListField(child=IdField(), allow_empty=False, max_length=MAX_ITEM_IDS)
    cutoff = _cutoff()


class ProfileRecommendationSerializer(serializers.Serializer[dict[str, Any]]):
    recommendations = RecommendationSerializer(many=True)


class AlgorithmSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    recommender_class_name = serializers.CharField()
    default = serializers.BooleanField(help_text="In the default tuning set.")
    parameters = serializers.DictField(help_text="Accepted parameters and their defaults.")
    search_space = serializers.ListField(child=serializers.DictField())

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.fields import OwnedPrimaryKeyRelatedField
from projects.models import Project, TrainingData
from training.models import ModelConfiguration, TrainedModel


class ModelConfigurationSerializer(serializers.ModelSerializer[ModelConfiguration]):
    project = OwnedPrimaryKeyRelatedField(queryset=Project.objects.all())
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
    file = serializers.CharField(source="file.name", read_only=True, allow_null=True)

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
        fields = ["id", *writable, "project", "file", *read_only_fields]


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


class ProfileRequestSerializer(serializers.Serializer[dict[str, Any]]):
    item_ids = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, max_length=10000
    )
    cutoff = serializers.IntegerField(min_value=1, max_value=1000, default=10)


class ProfileRecommendationSerializer(serializers.Serializer[dict[str, Any]]):
    recommendations = RecommendationSerializer(many=True)


class AlgorithmSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    recommender_class_name = serializers.CharField()
    default = serializers.BooleanField(help_text="In the default tuning set.")
    parameters = serializers.DictField(help_text="Accepted parameters and their defaults.")
    search_space = serializers.ListField(child=serializers.DictField())

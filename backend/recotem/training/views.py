from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import NotFound
from core.ownership import visible_to
from core.views import attachment
from core.viewsets import BasenameChangeMixin, OwnedModelViewSet
from projects.models import ItemMetaData
from training import selectors, services
from training.models import ModelConfiguration, TrainedModel
from training.serializers import (
    AlgorithmSerializer,
    CutoffQuerySerializer,
    MetadataRecommendationSerializer,
    ModelConfigurationSerializer,
    ProfileRecommendationSerializer,
    ProfileRequestSerializer,
    RecommendationQuerySerializer,
    RecommendationSerializer,
    TrainedModelSerializer,
    UserRecommendationSerializer,
)


class ModelConfigurationViewSet(OwnedModelViewSet):
    queryset = ModelConfiguration.objects.select_related("tuning_job")
    serializer_class = ModelConfigurationSerializer
    filterset_fields = ["project", "recommender_class_name", "name"]
    ordering_fields = ["id", "name", "ins_datetime"]

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.model_configuration_create(
            created_by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        assert serializer.instance is not None
        serializer.instance = services.model_configuration_update(
            configuration=serializer.instance, data=serializer.validated_data
        )

    @extend_schema(responses=AlgorithmSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def algorithms(self, request: Request) -> Response:
        return Response(selectors.algorithm_catalogue())


class TrainedModelViewSet(BasenameChangeMixin, OwnedModelViewSet):
    """Models are trained by a worker after creation; only their ``basename`` can be
    changed afterwards."""

    queryset = TrainedModel.objects.all()
    serializer_class = TrainedModelSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["configuration", "data_loc", "data_loc__project", "status"]
    ordering_fields = ["id", "ins_datetime", "finished_at", "version_tag"]
    # Previews read the model: a read key may use them, POST included.
    api_key_scope = {
        "recommend_using_profile_interaction": "read",
    }

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("configuration__project", "data_loc")

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data = serializer.validated_data
        serializer.instance = services.trained_model_create(
            configuration=data["configuration"], data=data["data_loc"]
        )

    def perform_destroy(self, instance: TrainedModel) -> None:
        services.trained_model_delete(model=instance)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download_file(self, request: Request, pk: str | None = None) -> FileResponse:
        model = self.get_object()
        selectors.trained_model_artifact(model=model)
        handle = model.file.storage.open(model.file.name, "rb")
        filename = selectors.trained_model_basename(model=model)
        return attachment(handle, filename)

    @extend_schema(
        parameters=[RecommendationQuerySerializer],
        responses=PolymorphicProxySerializer(
            component_name="RecommendationAnswer",
            serializers=[UserRecommendationSerializer, RecommendationSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
    )
    @action(detail=True, methods=["get"])
    def recommendation(self, request: Request, pk: str | None = None) -> Response:
        """A known user's recommendations: with ``shape=list``, only the list."""
        query = RecommendationQuerySerializer.parse(request)
        shape = query.pop("shape")
        artifact = selectors.trained_model_artifact(model=self.get_object())
        answer = selectors.recommendation_for_user(artifact=artifact, **query)
        return Response(answer["recommendations"] if shape == "list" else answer)

    @extend_schema(parameters=[CutoffQuerySerializer], responses=UserRecommendationSerializer)
    @action(detail=True, methods=["get"])
    def sample_recommendation_raw(self, request: Request, pk: str | None = None) -> Response:
        query = CutoffQuerySerializer.parse(request)
        artifact = selectors.trained_model_artifact(model=self.get_object())
        return Response(selectors.sample_recommendation(artifact=artifact, **query))

    @extend_schema(parameters=[CutoffQuerySerializer], responses=MetadataRecommendationSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"sample_recommendation_metadata/(?P<metadata_id>\d+)",
    )
    def sample_recommendation_metadata(
        self, request: Request, metadata_id: str, pk: str | None = None
    ) -> Response:
        model = self.get_object()
        metadata = (
            visible_to(ItemMetaData.objects.select_related("project"), self.requester)
            .filter(pk=metadata_id, project=model.configuration.project_id)
            .first()
        )
        if metadata is None:
            raise NotFound(f"Item metadata {metadata_id} does not exist in this model's project.")
        query = CutoffQuerySerializer.parse(request)
        artifact = selectors.trained_model_artifact(model=model)
        return Response(
            selectors.sample_recommendation_with_metadata(
                artifact=artifact, metadata=metadata, **query
            )
        )

    @extend_schema(request=ProfileRequestSerializer, responses=ProfileRecommendationSerializer)
    @action(detail=True, methods=["post"])
    def recommend_using_profile_interaction(
        self, request: Request, pk: str | None = None
    ) -> Response:
        body = ProfileRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        artifact = selectors.trained_model_artifact(model=self.get_object())
        return Response(
            selectors.recommend_for_profile(
                artifact=artifact,
                item_ids=body.validated_data["item_ids"],
                cutoff=body.validated_data["cutoff"],
            )
        )

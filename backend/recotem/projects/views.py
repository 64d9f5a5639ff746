from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import DenyApiKey
from core.exceptions import NotFound
from core.ownership import Requester
from core.schema import ErrorEnvelopeSerializer
from core.views import attachment
from core.viewsets import BasenameChangeMixin, OwnedModelViewSet
from deployments.selectors import project_daily_traffic, serving_figures
from deployments.serializers import (
    ProjectTrafficSerializer,
    ServingFiguresSerializer,
    ServingQuerySerializer,
)
from projects import selectors, services
from projects.ingestion import preview
from projects.models import ItemMetaData, Project, TrainingData
from projects.sample import SLOT_NAME, example_request, sample_project_create
from projects.sample_data import TERMS
from projects.serializers import (
    ItemLookupQuerySerializer,
    ItemLookupSerializer,
    ItemMetaDataSerializer,
    PreviewQuerySerializer,
    PreviewSerializer,
    ProjectSerializer,
    ProjectSummarySerializer,
    SampleProjectSerializer,
    TrainingDataSerializer,
    UploadLimitsSerializer,
)
from projects.uploads import LimitedMultiPartParser


class ProjectViewSet(OwnedModelViewSet):
    queryset = Project.objects.select_related("owner")
    serializer_class = ProjectSerializer
    filterset_fields = {"name": ["exact", "icontains"], "owner": ["exact"]}
    ordering_fields = ["id", "name", "ins_datetime", "updated_at"]

    def get_permissions(self) -> Sequence[Any]:
        permissions = super().get_permissions()
        # A key belongs to one project: it may not create others or delete its own.
        if self.action in ("create", "destroy"):
            return [*permissions, DenyApiKey()]
        return permissions

    def perform_create(self, serializer: serializers.BaseSerializer[Project]) -> None:
        serializer.instance = services.project_create(
            owner=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: serializers.BaseSerializer[Project]) -> None:
        assert serializer.instance is not None
        serializer.instance = services.project_update(
            project=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance: Project) -> None:
        services.project_delete(project=instance)

    @extend_schema(parameters=[ServingQuerySerializer], responses=ServingFiguresSerializer)
    @action(detail=True, methods=["get"])
    def serving(self, request: Request, pk: str | None = None) -> Response:
        """The inference service's requests, errors and p50/p99 latency for this project,
        per slot and minute, counted by every inference worker."""
        query = ServingQuerySerializer.parse(request)
        return Response(serving_figures(project=self.get_object(), **query))


class ProjectSummaryView(APIView):
    @extend_schema(responses=ProjectSummarySerializer)
    def get(self, request: Request, pk: int) -> Response:
        projects = selectors.project_list(requester=Requester.of(request))
        project = get_object_or_404(projects, pk=pk)
        return Response(selectors.project_summary(project=project))


class ProjectTrafficView(APIView):
    """Impressions and conversions per day and slot over the last 30 days, for charts."""

    @extend_schema(responses=ProjectTrafficSerializer)
    def get(self, request: Request, pk: int) -> Response:
        projects = selectors.project_list(requester=Requester.of(request))
        project = get_object_or_404(projects, pk=pk)
        traffic = project_daily_traffic(project_id=project.pk, today=timezone.now().date())
        return Response(ProjectTrafficSerializer(traffic).data)


class SampleProjectView(APIView):
    """Build the MovieLens 100K sample project (see ``projects.sample``)."""

    permission_classes = [*APIView.permission_classes, DenyApiKey]

    @extend_schema(
        request=None,
        responses={
            201: SampleProjectSerializer,
            503: OpenApiResponse(
                ErrorEnvelopeSerializer,
                description="The MovieLens data could not be fetched; the message says how "
                "to point RECOTEM_SAMPLE_DATA_DIR at a local copy.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        sample = sample_project_create(owner=request.user)
        body = {
            "project": sample.project.pk,
            "project_name": sample.project.name,
            "training_data": sample.training_data.pk,
            "item_meta_data": sample.item_meta_data.pk,
            "tuning_job": sample.tuning_job.pk,
            "slot_name": SLOT_NAME,
            "api_key": {
                "id": sample.api_key.pk,
                "name": sample.api_key.name,
                "key": sample.raw_key,
            },
            "example_request": example_request(
                site=request.build_absolute_uri("/"),
                project_id=sample.project.pk,
                raw_key=sample.raw_key,
            ),
            "data_terms": TERMS,
        }
        return Response(SampleProjectSerializer(body).data, status=status.HTTP_201_CREATED)


class UploadLimitsView(APIView):
    @extend_schema(responses=UploadLimitsSerializer)
    def get(self, request: Request) -> Response:
        return Response(selectors.upload_limits())


class UploadViewSet(BasenameChangeMixin, OwnedModelViewSet):
    """Uploads are created with multipart ``project`` and ``file``; only their
    ``basename`` can be changed afterwards."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    parser_classes = [LimitedMultiPartParser, FormParser, JSONParser]
    filterset_fields = ["project", "validation_status", "file_format"]
    ordering_fields = [
        "id",
        "ins_datetime",
        "basename",
        "filesize",
        "n_rows",
        "validated_at",
    ]
    create_upload: Callable[..., Any]

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("project")

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data = serializer.validated_data
        serializer.instance = type(self).create_upload(project=data["project"], file=data["file"])

    def perform_destroy(self, instance: Any) -> None:
        services.upload_delete(upload=instance)

    @extend_schema(parameters=[PreviewQuerySerializer], responses=PreviewSerializer)
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        query = PreviewQuerySerializer.parse(request)
        upload = self.get_object()
        columns, rows = preview(upload, **query)
        return Response({"columns": columns, "rows": rows, "total_rows": upload.n_rows})

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download_file(self, request: Request, pk: str | None = None) -> FileResponse:
        upload = self.get_object()
        missing = NotFound(f"The file of {upload.basename} was removed.")
        if not upload.file:
            raise missing
        try:
            handle = upload.file.storage.open(upload.file.name, "rb")
        except FileNotFoundError as exc:
            raise missing from exc
        return attachment(handle, upload.basename)

    # DELETE is how the reference removed a file; POST is ours.
    @extend_schema(request=None)
    @action(detail=True, methods=["post", "delete"])
    def unlink_file(self, request: Request, pk: str | None = None) -> Response:
        upload = services.upload_unlink_file(upload=self.get_object())
        return Response(self.get_serializer(upload).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def revalidate(self, request: Request, pk: str | None = None) -> Response:
        upload = services.upload_revalidate(upload=self.get_object())
        return Response(self.get_serializer(upload).data)


class TrainingDataViewSet(UploadViewSet):
    queryset = TrainingData.objects.all()
    serializer_class = TrainingDataSerializer
    create_upload = staticmethod(services.training_data_create)


class ItemMetaDataViewSet(UploadViewSet):
    queryset = ItemMetaData.objects.all()
    serializer_class = ItemMetaDataSerializer
    create_upload = staticmethod(services.item_meta_data_create)

    @extend_schema(parameters=[ItemLookupQuerySerializer], responses=ItemLookupSerializer)
    @action(detail=True, methods=["get"])
    def items(self, request: Request, pk: str | None = None) -> Response:
        """The rows of these items (e.g. their titles), so previews can name them."""
        query = ItemLookupQuerySerializer.parse(request)
        return Response(
            selectors.item_meta_data_items(metadata=self.get_object(), item_ids=query["item_id"])
        )

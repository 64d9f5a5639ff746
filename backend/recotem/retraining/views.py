from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.ownership import Requester, visible_to
from core.viewsets import OwnedModelViewSet
from retraining import selectors, services
from retraining.models import RetrainingRun, RetrainingSchedule
from retraining.serializers import (
    CronPreviewQuerySerializer,
    CronPreviewSerializer,
    RetrainingRunSerializer,
    RetrainingScheduleSerializer,
)


class RetrainingScheduleViewSet(OwnedModelViewSet):
    queryset = RetrainingSchedule.objects.select_related("project")
    serializer_class = RetrainingScheduleSerializer
    filterset_fields = ("project", "is_enabled")
    ordering_fields = ("id", "next_run_at", "last_run_at")

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.retraining_schedule_create(**serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.retraining_schedule_update(
            schedule=self.get_object(), data=dict(serializer.validated_data)
        )

    @extend_schema(parameters=[CronPreviewQuerySerializer], responses={200: CronPreviewSerializer})
    @action(detail=False, methods=["get"], url_path="cron_preview")
    def cron_preview(self, request: Request) -> Response:
        """The description and next runs of a cron expression, checked as saving it would be."""
        query = CronPreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        preview = selectors.cron_preview(
            expression=query.validated_data["cron_expression"],
            timezone_name=query.validated_data["timezone"],
        )
        return Response(CronPreviewSerializer(preview).data)

    @extend_schema(request=None, responses={202: RetrainingRunSerializer})
    @action(detail=True, methods=["post"])
    def trigger(self, request: Request, pk: str | None = None) -> Response:
        run = services.retraining_run_request(schedule=self.get_object())
        return Response(RetrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RetrainingRunViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RetrainingRun.objects.select_related("schedule")
    serializer_class = RetrainingRunSerializer
    filterset_fields = ("schedule", "status", "trigger")
    ordering_fields = ("id", "started_at", "completed_at")

    def get_queryset(self) -> Any:
        return visible_to(super().get_queryset(), Requester.of(self.request))

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.viewsets import OwnedModelViewSet
from realtime.serializers import TaskLogSerializer
from tuning import selectors, services
from tuning.models import EvaluationConfig, ParameterTuningJob, SplitConfig
from tuning.serializers import (
    EvaluationConfigSerializer,
    ParameterTuningJobSerializer,
    SplitConfigSerializer,
    TrialSerializer,
)


class _CreatedByViewSet(OwnedModelViewSet):
    """Split and evaluation configurations: read-only (409) once a tuning job used them."""

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.save(created_by=self.request.user)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.config_update(
            config=self.get_object(), data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: SplitConfig | EvaluationConfig) -> None:
        services.config_delete(config=instance)


class SplitConfigViewSet(_CreatedByViewSet):
    queryset = SplitConfig.objects.all()
    serializer_class = SplitConfigSerializer
    filterset_fields = ["name", "scheme"]
    ordering_fields = ["id", "name", "ins_datetime"]


class EvaluationConfigViewSet(_CreatedByViewSet):
    queryset = EvaluationConfig.objects.all()
    serializer_class = EvaluationConfigSerializer
    filterset_fields = ["name", "target_metric", "cutoff"]
    ordering_fields = ["id", "name", "ins_datetime"]


class ParameterTuningJobViewSet(OwnedModelViewSet):
    """Tuning jobs cannot be edited: create another one, or cancel this one."""

    queryset = ParameterTuningJob.objects.all()
    serializer_class = ParameterTuningJobSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    filterset_fields = ["data", "data__project", "status", "split", "evaluation"]
    ordering_fields = ["id", "ins_datetime", "status", "best_score", "finished_at"]

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("data__project")

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.tuning_job_create(**serializer.validated_data)

    def perform_destroy(self, instance: ParameterTuningJob) -> None:
        services.tuning_job_delete(job=instance)

    @extend_schema(request=None, responses={202: ParameterTuningJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = services.tuning_job_cancel(job=self.get_object())
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=TrialSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def trials(self, request: Request, pk: str | None = None) -> Response:
        return Response(selectors.tuning_job_trials(job=self.get_object()))

    @extend_schema(responses=TaskLogSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def logs(self, request: Request, pk: str | None = None) -> Response:
        logs = self.get_object().logs.order_by("id")
        page = self.paginate_queryset(logs)
        return self.get_paginated_response(TaskLogSerializer(page, many=True).data)

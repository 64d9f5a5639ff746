from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey
from core.ownership import Requester, visible_to
from core.schema import ErrorEnvelopeSerializer
from core.viewsets import OwnedModelViewSet
from deployments import services
from deployments.models import ABTest, ConversionEvent, DeploymentSlot, Impression
from deployments.selectors import ab_test_timeseries
from deployments.serializers import (
    ABTestSerializer,
    ConversionEventBatchSerializer,
    ConversionEventSerializer,
    DeploymentSlotSerializer,
    PromoteWinnerSerializer,
)
from recotem_common.api_keys import SCOPE_PREDICT


class DeploymentSlotViewSet(OwnedModelViewSet):
    queryset = DeploymentSlot.objects.select_related("project", "trained_model")
    serializer_class = DeploymentSlotSerializer
    filterset_fields = ("project", "is_active", "trained_model")
    ordering_fields = ("id", "name", "weight", "ins_datetime")

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.deployment_slot_create(**serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.deployment_slot_update(
            slot=self.get_object(), data=serializer.validated_data
        )

    def perform_destroy(self, instance: DeploymentSlot) -> None:
        services.deployment_slot_delete(slot=instance)


class ABTestViewSet(OwnedModelViewSet):
    queryset = ABTest.objects.select_related("project", "control_slot", "variant_slot")
    serializer_class = ABTestSerializer
    filterset_fields = ("project", "status")
    ordering_fields = ("id", "name", "status", "started_at", "ins_datetime")

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.ab_test_create(**serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = services.ab_test_update(
            ab_test=self.get_object(), data=serializer.validated_data
        )

    def _transition(self, service: Any) -> Response:
        ab_test = service(ab_test=self.get_object())
        return Response(self.get_serializer(ab_test).data)

    @extend_schema(request=None, responses=ABTestSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(services.ab_test_start)

    @extend_schema(request=None, responses=ABTestSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(services.ab_test_stop)

    @extend_schema(request=None, responses=ABTestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(services.ab_test_cancel)

    @extend_schema(request=PromoteWinnerSerializer, responses=ABTestSerializer)
    @action(detail=True, methods=["post"])
    def promote_winner(self, request: Request, pk: str | None = None) -> Response:
        body = PromoteWinnerSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        ab_test = services.ab_test_promote_winner(
            ab_test=self.get_object(), winner=body.validated_data["slot"]
        )
        # winner_slot_id is what the reference answered with.
        return Response(
            {**self.get_serializer(ab_test).data, "winner_slot_id": ab_test.winner_slot_id}
        )

    @extend_schema(responses=OpenApiResponse(description="Counts, rates and test statistics"))
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        return Response(services.ab_test_evaluate(ab_test=self.get_object()))

    @extend_schema(responses=OpenApiResponse(description="Daily counts per arm"))
    @action(detail=True, methods=["get"], url_path="results/timeseries")
    def timeseries(self, request: Request, pk: str | None = None) -> Response:
        return Response({"results": ab_test_timeseries(ab_test=self.get_object())})


class ApiKeysMayOnlyCreate(BasePermission):
    """Scripts report conversions with a ``predict`` key but cannot read them back."""

    message = "API keys may only create conversion events."

    def has_permission(self, request: Request, view: Any) -> bool:
        return not isinstance(request.auth, ApiKey) or view.action in ("create", "batch")


class ConversionEventViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Create one event (an object) or a batch (a list of up to 1,000 objects, or the
    reference's ``batch/`` with ``{"events": [...]}``)."""

    queryset = ConversionEvent.objects.all()
    serializer_class = ConversionEventSerializer
    permission_classes = (*OwnedModelViewSet.permission_classes, ApiKeysMayOnlyCreate)
    api_key_scope = {"create": SCOPE_PREDICT, "batch": SCOPE_PREDICT}
    filterset_fields = ("project", "deployment_slot", "event_type", "recommendation_request_id")
    ordering_fields = ("id", "timestamp")

    def get_queryset(self) -> QuerySet[ConversionEvent]:
        return visible_to(super().get_queryset(), Requester.of(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        many = isinstance(request.data, list)
        created = self._record(request, request.data, many=many)
        data = ConversionEventSerializer(created, many=True).data
        return Response(data if many else data[0], status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ConversionEventBatchSerializer,
        responses={
            201: inline_serializer("Created", {"created": serializers.IntegerField()}),
            # The events are conversion events, whose ids may not hold control characters.
            422: ErrorEnvelopeSerializer,
        },
    )
    @action(detail=False, methods=["post"])
    def batch(self, request: Request) -> Response:
        """The reference's form of a batch: all events are recorded, or none."""
        body = ConversionEventBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = self._record(request, body.validated_data["events"], many=True)
        return Response({"created": len(created)}, status=status.HTTP_201_CREATED)

    def _record(self, request: Request, data: Any, *, many: bool) -> list[ConversionEvent]:
        if many:
            # Refuse an oversized batch before validating it item by item.
            services.conversion_batch_check(size=len(data))
        serializer = ConversionEventSerializer(
            data=data, many=many, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        events = serializer.validated_data if many else [serializer.validated_data]
        return services.conversion_events_create(
            visible_impressions=visible_to(Impression.objects.all(), Requester.of(request)),
            events=events,
        )

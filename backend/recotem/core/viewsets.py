from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.ownership import Requester, visible_to
from core.serializers import BasenameChangeSerializer
from core.services import basename_change


class OwnedModelViewSet(viewsets.ModelViewSet):
    """A model viewset whose rows are limited to what the requester may see.

    Rows of other tenants answer 404, not 403, so their existence is not revealed.
    """

    def get_queryset(self) -> QuerySet[Any]:
        return visible_to(super().get_queryset(), self.requester)

    @property
    def requester(self) -> Requester:
        return Requester.of(self.request)


class BasenameChangeMixin:
    """``PATCH {"basename": ...}`` renames a file-backed resource, as the reference
    allowed; other fields of these resources are the server's."""

    @extend_schema(request=BasenameChangeSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = BasenameChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        view: Any = self
        instance = basename_change(
            instance=view.get_object(), basename=body.validated_data["basename"]
        )
        return Response(view.get_serializer(instance).data)

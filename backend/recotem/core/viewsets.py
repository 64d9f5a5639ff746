from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets

from core.ownership import Requester, visible_to


class OwnedModelViewSet(viewsets.ModelViewSet):
    """A model viewset whose rows are limited to what the requester may see.

    Rows of other tenants answer 404, not 403, so their existence is not revealed.
    """

    def get_queryset(self) -> QuerySet[Any]:
        return visible_to(super().get_queryset(), self.requester)

    @property
    def requester(self) -> Requester:
        return Requester.of(self.request)

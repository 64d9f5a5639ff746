from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from core.ownership import Requester, visible_to


class OwnedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key a client may set only to a row it can see.

    Another tenant's id is reported exactly like an id that does not exist, so the
    answer leaks nothing about other users' data.
    """

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        assert queryset is not None, "an owned foreign key needs a queryset"
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return visible_to(queryset, Requester.of(request))

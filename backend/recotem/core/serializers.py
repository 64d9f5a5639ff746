"""What every app's serializers share."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from core.filters import unknown_parameters_refuse


class QuerySerializer(serializers.Serializer[dict[str, Any]]):
    """An endpoint's query parameters, declared and validated like a body (a filter
    serializer). Views call :meth:`parse` instead of reading ``request.query_params``
    by hand, and list the class in the schema: ``extend_schema(parameters=[...])``.
    A bad value answers 400 naming the parameter; a missing one takes its default; an
    undeclared one answers 400 too, as on lists (``core.filters``).
    """

    @classmethod
    def parse(cls, request: Request) -> dict[str, Any]:
        unknown_parameters_refuse(request, cls().fields)
        query = cls(data=request.query_params)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)

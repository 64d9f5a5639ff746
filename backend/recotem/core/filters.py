"""Query parameters: a parameter nothing reads is refused, never silently ignored.

A misspelt filter (``?projct=3``) would otherwise answer every row, which looks like an
answer. Lists check their parameters in the filter backend every list view uses
(``FilterBackend``); endpoints with their own parameters check them in
``QuerySerializer.parse``. Both refuse through ``unknown_parameters_refuse``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.exceptions import ValidationFailed

# The parameter names filter backends and paginators read, by their attribute names.
_PARAMETER_ATTRIBUTES = (
    "ordering_param",
    "search_param",
    "page_query_param",
    "page_size_query_param",
    "limit_query_param",
    "offset_query_param",
    "cursor_query_param",
)


def unknown_parameters_refuse(request: Request, accepted: Iterable[str]) -> None:
    """A 400 naming the first query parameter not in ``accepted``, and the accepted ones."""
    allowed = {*accepted, api_settings.URL_FORMAT_OVERRIDE}
    unknown = [name for name in request.query_params if name not in allowed]
    if not unknown:
        return
    names = ", ".join(sorted(name for name in allowed if name))
    message = f"Unknown query parameter {unknown[0]!r}. Accepted here: {names}."
    raise ValidationFailed(message, fields={name: ["Unknown query parameter."] for name in unknown})


def _parameter_names(component: Any) -> set[str]:
    names = (getattr(component, attribute, None) for attribute in _PARAMETER_ATTRIBUTES)
    return {name for name in names if isinstance(name, str) and name}


class FilterBackend(DjangoFilterBackend):
    """django-filter for every list, refusing query parameters that no filter, ordering,
    search or pagination of the view reads."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        if getattr(view, "action", None) == "list":
            unknown_parameters_refuse(request, self.accepted_parameters(view, queryset))
        return super().filter_queryset(request, queryset, view)

    def accepted_parameters(self, view: Any, queryset: QuerySet[Any]) -> set[str]:
        filterset_class = self.get_filterset_class(view, queryset)
        accepted = set(filterset_class.base_filters) if filterset_class else set()
        for backend in view.filter_backends:
            accepted |= _parameter_names(backend)
        return accepted | _parameter_names(view.paginator)

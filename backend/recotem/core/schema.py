"""The error answers of each operation in the OpenAPI schema.

drf-spectacular documents an operation's success answer only. The API answers errors in
one envelope (``core.errors``) with statuses that follow from what the operation is, so
``AutoSchema`` adds them from the view: any request can be malformed (400, e.g. too many
query parameters); authentication (401), permissions (403) and throttles (429) where the
view has them; ids in the path and pages past the end (404); a body (413); ids of users
and items (422 for control characters); and the state of what an operation changes or
computes from (409: a job still running, a model not trained yet), which plain lists
and reads never meet.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from core.fields import IdField, StoredFileField

_DESCRIPTIONS = {
    "400": "The request is malformed; the message and `fields` say what to change.",
    "401": "No valid credentials (token or API key) came with the request.",
    "403": "The credentials may not do this (an API key's scope, a staff-only action).",
    "404": "What the path names does not exist or is not the caller's, or no such page.",
    "409": "The current state refuses the request; the message says which state.",
    "413": "The request body is larger than the server accepts.",
    "422": "A user or item id contains a control character and can never name anything.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}
_READS = {"list", "retrieve"}
_BODY_METHODS = {"POST", "PUT", "PATCH"}


# "fields" cannot be an attribute of a serializer class: it names the serializer's fields.
_ERROR_DETAIL = inline_serializer(
    "ErrorDetail",
    {
        "code": serializers.CharField(help_text="A stable, machine-readable name of the error."),
        "message": serializers.CharField(help_text="What went wrong and what to do about it."),
        "fields": serializers.DictField(
            required=False, help_text="The messages of each wrong input, by field name."
        ),
    },
)


class ErrorEnvelopeSerializer(serializers.Serializer[Any]):
    """Every error answer of the API."""

    error = _ERROR_DETAIL
    detail = serializers.CharField(help_text="The message again, for clients reading only this.")


def _names_ids(serializer: Any) -> bool:
    """Whether ``serializer`` (a serializer, field or class) takes a user or item id."""
    if isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer):
        serializer = serializer()
    if isinstance(serializer, IdField):
        return True
    if isinstance(serializer, serializers.ListSerializer | serializers.ListField):
        return _names_ids(serializer.child)
    if isinstance(serializer, serializers.Serializer):
        return any(_names_ids(field) for field in serializer.fields.values())
    return False


class AutoSchema(SpectacularAutoSchema):
    def _error_statuses(self) -> list[str]:
        statuses = ["400"]
        if self.view.get_authenticators():
            statuses.append("401")
        if any(not isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses.append("403")
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None)
        if "{" in self.path or paginated:
            statuses.append("404")
        action = getattr(self.view, "action", None)
        if action not in _READS and (action is not None or self.method != "GET"):
            statuses.append("409")
        takes: list[Any] = list(self.get_override_parameters())
        if self.method in _BODY_METHODS:
            statuses.append("413")
            takes.append(self.get_request_serializer())
        if any(_names_ids(serializer) for serializer in takes):
            statuses.append("422")
        if self.view.get_throttles():
            statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                response = self._get_response_for_code(ErrorEnvelopeSerializer, status)
                responses[status] = {**response, "description": _DESCRIPTIONS[status]}
        return responses


class StoredFileFieldScheme(OpenApiSerializerFieldExtension):
    target_class = StoredFileField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        if direction == "request":
            return {"type": "string", "format": "binary"}
        return {"type": "string", "nullable": True}

from __future__ import annotations

from typing import BinaryIO

from django.core.exceptions import SuspiciousOperation
from django.http import FileResponse, HttpRequest, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import health
from core.errors import suspicious_request
from recotem_common import errors as codes


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Django's 400 for a refusal raised outside the API's views (a middleware, the
    admin), in the API's envelope."""
    if isinstance(exception, SuspiciousOperation):
        status_code, body = suspicious_request(exception)
    else:
        status_code = status.HTTP_400_BAD_REQUEST
        body = codes.error_body(codes.VALIDATION_ERROR, "The request is malformed.")
    return JsonResponse(body, status=status_code)


def attachment(handle: BinaryIO, filename: str) -> FileResponse:
    """A stored file as a download. Always ``application/octet-stream``, the type the
    schema declares, whatever the file's ending suggests (CSV, Parquet, gzip)."""
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/octet-stream"
    )


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Django's 404 for a path no route matches (an id that is not a number among
    them), in the API's envelope rather than an HTML page."""
    message = f"There is no endpoint at {request.path}."
    return JsonResponse(
        codes.error_body(codes.NOT_FOUND, message), status=status.HTTP_404_NOT_FOUND
    )


class PingView(APIView):
    """Liveness and dependency checks; never throttled, so health probes always answer.

    503 when the database is unreachable (nothing works without it); otherwise 200,
    with ``status`` "degraded" while the cache or the broker is down.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    @extend_schema(
        responses=inline_serializer(
            "Ping",
            {
                "success": serializers.BooleanField(),
                "status": serializers.ChoiceField(["ok", "degraded", "unavailable"]),
                "database": serializers.CharField(),
                "cache": serializers.CharField(),
                "broker": serializers.CharField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        states = health.dependency_states()
        if states["database"] != health.OK:
            return Response(
                {"success": False, "status": "unavailable", **states},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        degraded = any(state != health.OK for state in states.values())
        return Response({"success": True, "status": "degraded" if degraded else "ok", **states})

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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


class PingView(APIView):
    """Liveness and database check; never throttled, so health probes always answer."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    @extend_schema(responses=inline_serializer("Ping", {"success": serializers.BooleanField()}))
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            return Response(
                {"success": False, "database": "unreachable"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"success": True})

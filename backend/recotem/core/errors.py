"""The one handler that renders every API error in the envelope (``recotem_common.errors``).

Refusals raised by services (``core.exceptions``) get the status of their kind; DRF's
and Django's own exceptions keep theirs, with a stable code; anything else is a 500 that
is logged and says nothing about its cause.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import (
    ApplicationError,
    AuthenticationFailed,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    SourceUnavailable,
    ValidationFailed,
)
from recotem_common import errors as codes
from recotem_common.errors import error_body
from recotem_common.limits import CONTROL_CHARACTER

logger = logging.getLogger(__name__)


# The HTTP answer to each kind of refusal a service raises (core.exceptions).
_STATUS_BY_ERROR: dict[type[ApplicationError], int] = {
    ValidationFailed: status.HTTP_400_BAD_REQUEST,
    AuthenticationFailed: status.HTTP_401_UNAUTHORIZED,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    PayloadTooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    SourceUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


_CODE_BY_EXCEPTION: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: codes.VALIDATION_ERROR,
    exceptions.ParseError: codes.VALIDATION_ERROR,
    exceptions.NotAuthenticated: codes.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: codes.AUTHENTICATION_FAILED,
    exceptions.PermissionDenied: codes.PERMISSION_DENIED,
    exceptions.NotFound: codes.NOT_FOUND,
    exceptions.MethodNotAllowed: codes.METHOD_NOT_ALLOWED,
    exceptions.UnsupportedMediaType: codes.UNSUPPORTED_MEDIA_TYPE,
    exceptions.Throttled: codes.THROTTLED,
}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _error_codes(detail: Any) -> set[str | None]:
    if isinstance(detail, dict):
        return set().union(*(_error_codes(value) for value in detail.values()))
    if isinstance(detail, list):
        return set().union(*(_error_codes(value) for value in detail))
    return {getattr(detail, "code", None)}


def _validation_response(detail: Any) -> Response:
    fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    body = error_body(codes.VALIDATION_ERROR, _first_message(detail), fields=fields)
    # Well-formed, but naming ids that can never exist: the inference service's 422.
    if _error_codes(detail) == {CONTROL_CHARACTER}:
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _suspicious_message(exc: SuspiciousOperation) -> str:
    if isinstance(exc, TooManyFieldsSent):
        return (
            f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query "
            "parameters or form fields; send fewer."
        )
    if isinstance(exc, TooManyFilesSent):
        return f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files."
    if isinstance(exc, DisallowedHost):
        return "The Host header names a host this server does not serve."
    return "The request was refused as malformed."


def suspicious_request(exc: SuspiciousOperation) -> tuple[int, dict[str, Any]]:
    """The status and envelope for a request Django refuses (too many fields, a body
    above ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a forged header): the client's mistake, so a
    4xx. Django logs those it catches itself at WARNING (``core.logs``); the API's
    views log theirs the same way in :func:`exception_handler`."""
    if isinstance(exc, RequestDataTooBig):
        message = (
            f"The request body is larger than the limit of "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes for data that is not a file "
            "upload; send less in one request."
        )
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, error_body(
            codes.PAYLOAD_TOO_LARGE, message
        )
    return status.HTTP_400_BAD_REQUEST, error_body(codes.VALIDATION_ERROR, _suspicious_message(exc))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        status_code = next(
            (code for kind, code in _STATUS_BY_ERROR.items() if isinstance(exc, kind)), None
        )
        if status_code is not None:
            return Response(error_body(exc.code, exc.message, fields=exc.fields), status_code)
    if isinstance(exc, DjangoValidationError):
        return _validation_response(as_serializer_error(exc))
    if isinstance(exc, SuspiciousOperation):
        logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s", exc)
        status_code, body = suspicious_request(exc)
        return Response(body, status=status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error", exc_info=exc)
        body = error_body(codes.SERVER_ERROR, "An internal error occurred.")
        return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        validation = _validation_response(exc.detail)
        if response.status_code != status.HTTP_400_BAD_REQUEST:
            validation.status_code = response.status_code
        return validation
    code = next(
        (code for kind, code in _CODE_BY_EXCEPTION.items() if isinstance(exc, kind)),
        str(exc.default_code),
    )
    # Some libraries (simplejwt) put a dict with its own "detail" entry in the detail.
    detail = exc.detail
    if isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]
    message = _first_message(detail)
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        message = f"Too many requests. Try again in {int(wait) + 1} seconds."
    response.data = error_body(code, message)
    return response

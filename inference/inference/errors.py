"""Errors and the one handler that renders them all in the shared envelope.

Services raise ``InferenceError`` subclasses; framework errors (validation, unknown
routes) and unexpected exceptions are translated here, so every error body is
``{"error": {"code", "message", "fields"?}}`` and never carries a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from recotem_common import errors as codes
from recotem_common.limits import CONTROL_CHARACTER

logger = logging.getLogger(__name__)


class InferenceError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = codes.VALIDATION_ERROR

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers) if headers else None


class ValidationFailed(InferenceError):
    pass


class NotAuthenticated(InferenceError):
    status_code = 401
    code = codes.NOT_AUTHENTICATED


class AuthenticationFailed(InferenceError):
    status_code = 401
    code = codes.AUTHENTICATION_FAILED


class PermissionDenied(InferenceError):
    status_code = 403
    code = codes.PERMISSION_DENIED


class NotFound(InferenceError):
    status_code = 404
    code = codes.NOT_FOUND


class PayloadTooLarge(InferenceError):
    status_code = 413
    code = codes.PAYLOAD_TOO_LARGE


class Throttled(InferenceError):
    status_code = 429
    code = codes.THROTTLED


class ServiceUnavailable(InferenceError):
    status_code = 503
    code = codes.SERVICE_UNAVAILABLE


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


_HTTP_CODES = {
    401: codes.NOT_AUTHENTICATED,
    403: codes.PERMISSION_DENIED,
    404: codes.NOT_FOUND,
    405: codes.METHOD_NOT_ALLOWED,
    413: codes.PAYLOAD_TOO_LARGE,
    415: codes.UNSUPPORTED_MEDIA_TYPE,
    429: codes.THROTTLED,
    503: codes.SERVICE_UNAVAILABLE,
}


def _field_name(loc: Sequence[Any]) -> str:
    # ("body", "user_ids", 3) -> "user_ids.3"; the bare body -> "body".
    parts = [str(part) for part in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def _validation_response(exc: RequestValidationError) -> tuple[int, dict[str, Any]]:
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "decode error")
            message = f"The request body is not valid JSON ({reason})."
            return 400, codes.error_body(codes.VALIDATION_ERROR, message)
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), []).append(str(error["msg"]))
    summary = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
    # Well-formed, but naming ids that can never exist: the same 422 as the backend's.
    unprocessable = all(error.get("type") == CONTROL_CHARACTER for error in errors)
    return 422 if unprocessable else 400, codes.error_body(
        codes.VALIDATION_ERROR, f"Invalid request: {summary}", fields=fields
    )


def _http_message(exc: StarletteHTTPException, request: Request) -> str:
    if exc.status_code == 404:
        return f"There is no endpoint at {request.url.path}."
    if exc.status_code == 405:
        return f"Method {request.method} is not allowed on {request.url.path}."
    return str(exc.detail)


def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Render any exception as the error envelope."""
    headers: dict[str, str] | None = None
    if isinstance(exc, InferenceError):
        status, body = (
            exc.status_code,
            codes.error_body(exc.code, exc.message, fields=exc.fields),
        )
        headers = exc.headers
    elif isinstance(exc, RequestValidationError):
        status, body = _validation_response(exc)
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        code = _HTTP_CODES.get(status, codes.SERVER_ERROR if status >= 500 else "error")
        body = codes.error_body(code, _http_message(exc, request))
        headers = dict(exc.headers) if exc.headers else None
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.warning("Database unreachable on %s: %s", request.url.path, exc.orig)
        status = 503
        body = codes.error_body(
            codes.SERVICE_UNAVAILABLE,
            "The database is unreachable; retry in a few seconds.",
        )
    else:
        logger.exception("Unhandled error on %s %s", request.method, request.url.path)
        status = 500
        body = codes.error_body(
            codes.SERVER_ERROR,
            "The inference service failed to answer; the error was logged with the "
            "correlation id of this request.",
        )
    request.state.error_code = body["error"]["code"]
    return JSONResponse(body, status_code=status, headers=headers)


HANDLED = (InferenceError, RequestValidationError, StarletteHTTPException, Exception)

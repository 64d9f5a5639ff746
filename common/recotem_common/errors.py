"""The error envelope both services answer with.

Every error response body is ``{"error": {"code", "message", "fields"?}, "detail"}``:
``code`` is stable and machine-readable, ``message`` is meant for a person, and ``fields``
(only for validation errors) maps each offending input field to its messages. ``detail``
repeats the message at the top level, where clients written for the reference read it.
"""

from __future__ import annotations

from typing import Any

VALIDATION_ERROR = "validation_error"
NOT_AUTHENTICATED = "not_authenticated"
AUTHENTICATION_FAILED = "authentication_failed"
PERMISSION_DENIED = "permission_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
CONFLICT = "conflict"
PAYLOAD_TOO_LARGE = "payload_too_large"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
THROTTLED = "throttled"
SERVICE_UNAVAILABLE = "service_unavailable"
SERVER_ERROR = "server_error"


def error_body(code: str, message: str, *, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error, "detail": message}

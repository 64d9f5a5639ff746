"""What a service raises when it refuses something, named for what went wrong.

Services never speak HTTP. The one exception handler (``core.errors``) maps each kind
below to its status and renders the error envelope, whichever view, serializer or
command the refusal travels through; a command-line caller reads ``message``. A new
kind of refusal is a subclass here and one entry in that handler's table.
"""

from __future__ import annotations

from typing import Any, ClassVar

from recotem_common import errors as codes


class ApplicationError(Exception):
    """A refusal a caller can act on. Raise one of the subclasses, which say what kind."""

    code: ClassVar[str]

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class ValidationFailed(ApplicationError):
    """The input is wrong; ``fields`` maps each wrong field to its messages (or, for a
    field holding an object, to the same mapping for its parts)."""

    code = codes.VALIDATION_ERROR


class AuthenticationFailed(ApplicationError):
    """The credential presented (a token, a key) cannot be used."""

    code = codes.AUTHENTICATION_FAILED


class Forbidden(ApplicationError):
    """The caller is known, but may not do this."""

    code = codes.PERMISSION_DENIED


class NotFound(ApplicationError):
    """What the input names does not exist, or is not the caller's to see."""

    code = codes.NOT_FOUND


class Conflict(ApplicationError):
    """The input is fine, but the current state of things refuses it: a job still
    running, a name already taken, a model not trained yet."""

    code = codes.CONFLICT


class PayloadTooLarge(ApplicationError):
    """The request carries more than the server accepts."""

    code = codes.PAYLOAD_TOO_LARGE


class SourceUnavailable(ApplicationError):
    """Something the server fetches from elsewhere could not be had, or not intact."""

    code = codes.SERVICE_UNAVAILABLE


def field_error(field: str, message: str, *, field_message: str | None = None) -> ValidationFailed:
    """A refusal of one input field: ``message`` for the person, and under ``field`` the
    same message, or a shorter ``field_message`` that fits next to the field in a form."""
    return ValidationFailed(message, fields={field: [field_message or message]})

"""How the backend's own logging differs from the shared configuration."""

from __future__ import annotations

import logging

# Django logs each request it refuses as suspicious to ``django.security.<exception>``.
SUSPICIOUS_OPERATIONS = (
    "DisallowedHost",
    "DisallowedModelAdminLookup",
    "DisallowedModelAdminToField",
    "DisallowedRedirect",
    "InvalidSessionKey",
    "RequestDataTooBig",
    "SuspiciousFileOperation",
    "SuspiciousMultipartForm",
    "SuspiciousOperation",
    "SuspiciousSession",
    "TooManyFieldsSent",
    "TooManyFilesSent",
)


class ClientMistakeAsWarning(logging.Filter):
    """Django logs a request it refuses as suspicious (too many fields, a body too
    large, a forged Host) at ERROR with a traceback. The client answered 400 made the
    mistake, not the server: a WARNING without the traceback keeps ERROR for faults."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def suspicious_operation_loggers() -> dict[str, dict[str, object]]:
    """``LOGGING`` entries that log Django's refusals of suspicious requests at WARNING.

    A logger's filters see only the records of that very logger, so each one is named.
    """
    return {
        f"django.security.{name}": {"filters": ["client_mistake_as_warning"]}
        for name in SUSPICIOUS_OPERATIONS
    }

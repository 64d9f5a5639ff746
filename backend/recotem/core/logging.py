"""Correlation ids: taken from the request or generated, and stamped on every log record."""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar

CORRELATION_HEADER = "X-Correlation-ID"
correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


def new_correlation_id(candidate: str | None = None) -> str:
    """Accept a caller's id when it is short and printable, otherwise make one."""
    if candidate and len(candidate) <= 128 and candidate.isprintable():
        return candidate
    return uuid.uuid4().hex


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True

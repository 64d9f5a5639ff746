"""Correlation ids: taken from the request or generated, and stamped on every log record."""

from __future__ import annotations

import logging
from contextvars import ContextVar

from recotem_common.correlation import CORRELATION_HEADER, new_correlation_id

__all__ = ["CORRELATION_HEADER", "CorrelationIdFilter", "correlation_id", "new_correlation_id"]

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True

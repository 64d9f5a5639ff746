"""Logging for every Recotem process: one line per record, JSON or plain, each stamped
with the correlation id of the request (or task) it belongs to.

A service sets :data:`correlation_id` when a request starts (see ``correlation.py`` for
where the id comes from) and passes :func:`logging_config` to ``logging.config.dictConfig``
(the backend through Django's ``LOGGING`` setting).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Literal

LogFormat = Literal["json", "plain"]

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


def logging_config(
    *,
    level: str,
    log_format: LogFormat,
    loggers: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``dictConfig`` that sends every record through one console handler.

    ``loggers`` adds the service's own logger settings (levels of its frameworks,
    loggers it silences); each may name the ``"console"`` handler.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"correlation_id": {"()": CorrelationIdFilter}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level"},
            },
            "plain": {
                "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["correlation_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level.upper()},
        "loggers": dict(loggers or {}),
    }

"""JSON logs stamped with the request's correlation id."""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar

from inference.config import Settings

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"correlation_id": {"()": CorrelationIdFilter}},
            "formatters": {
                "json": {
                    "()": "pythonjsonlogger.json.JsonFormatter",
                    "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s "
                    "%(correlation_id)s",
                    "rename_fields": {"asctime": "time", "levelname": "level"},
                },
                "plain": {
                    "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] "
                    "%(message)s"
                },
            },
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "formatter": settings.log_format,
                    "filters": ["correlation_id"],
                }
            },
            "root": {"handlers": ["console"], "level": settings.log_level.upper()},
            "loggers": {
                # The service writes its own access log with the correlation id.
                "uvicorn.access": {"handlers": [], "propagate": False},
                "uvicorn": {"handlers": ["console"], "propagate": False},
                "uvicorn.error": {"handlers": ["console"], "propagate": False},
            },
        }
    )

"""The service's logging: the shared configuration plus uvicorn's loggers."""

from __future__ import annotations

import logging.config

from inference.config import Settings
from recotem_common.logs import logging_config


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(
        logging_config(
            level=settings.log_level,
            log_format=settings.log_format,
            loggers={
                # The service writes its own access log with the correlation id.
                "uvicorn.access": {"handlers": [], "propagate": False},
                "uvicorn": {"handlers": ["console"], "propagate": False},
                "uvicorn.error": {"handlers": ["console"], "propagate": False},
            },
        )
    )

from __future__ import annotations

from core.logs import ClientMistakeAsWarning, suspicious_operation_loggers
from recotem.settings.env import env
from recotem_common.logs import logging_config

LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
DJANGO_LOG_LEVEL: str = env.str("DJANGO_LOG_LEVEL", default="WARNING")
CELERY_LOG_LEVEL: str = env.str("CELERY_LOG_LEVEL", default="INFO")
LOG_FORMAT: str = env.str("LOG_FORMAT", default="json")

LOGGING = logging_config(
    level=LOG_LEVEL,
    log_format="json" if LOG_FORMAT == "json" else "plain",
    loggers={
        "django": {"handlers": ["console"], "level": DJANGO_LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["console"], "level": CELERY_LOG_LEVEL, "propagate": False},
        **suspicious_operation_loggers(),
    },
)
LOGGING["filters"]["client_mistake_as_warning"] = {"()": ClientMistakeAsWarning}

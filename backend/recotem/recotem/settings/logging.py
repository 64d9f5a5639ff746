from __future__ import annotations

from recotem.settings.env import env

LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
DJANGO_LOG_LEVEL: str = env.str("DJANGO_LOG_LEVEL", default="WARNING")
CELERY_LOG_LEVEL: str = env.str("CELERY_LOG_LEVEL", default="INFO")
LOG_FORMAT: str = env.str("LOG_FORMAT", default="json")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation_id": {"()": "core.logging.CorrelationIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["correlation_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": DJANGO_LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["console"], "level": CELERY_LOG_LEVEL, "propagate": False},
    },
}

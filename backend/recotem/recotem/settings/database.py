from __future__ import annotations

import os
from typing import Any

from recotem.settings.env import DATA_DIR, env
from recotem_common.database_urls import database_url
from recotem_common.paths import sqlite_path


def _databases() -> dict[str, dict[str, Any]]:
    url = database_url(os.environ)
    if url:
        default = env.db_url_config(url)
        default.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
        default["CONN_HEALTH_CHECKS"] = True
        return {"default": default}
    # Embedded default for a bare machine: WAL and immediate transactions let the web
    # process and the workers write to one SQLite file without "database is locked".
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(sqlite_path(DATA_DIR)),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }


DATABASES = _databases()

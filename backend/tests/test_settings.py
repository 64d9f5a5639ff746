from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from recotem_common.redis_urls import redis_url_for_db
from recotem_common.secrets import installation_secret_key

BACKEND_ROOT = Path(__file__).resolve().parents[1] / "recotem"


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        cwd=BACKEND_ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "recotem.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "secret",
    ["", "short", "change-me-please-change-me-please-change-me", "x" * 10],
)
def test_startup_refuses_placeholder_or_short_secret_outside_debug(secret: str) -> None:
    result = _load_settings(SECRET_KEY=secret, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_mode_starts_without_a_secret_on_the_installations_own_key(
    tmp_path: Path,
) -> None:
    """Both services read the key the data directory keeps (recotem_common.secrets)."""
    result = _load_settings(DEBUG="true", RECOTEM_DATA_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == installation_secret_key(tmp_path)


def test_strong_secret_is_accepted() -> None:
    result = _load_settings(SECRET_KEY="k3Jd9s0PqLw8ZxT2vB7nM4rY6uH1aF5gE0cR", DEBUG="false")
    assert result.returncode == 0, result.stderr


def test_redis_urls_derive_from_one_base_and_password(settings: object) -> None:
    url = redis_url_for_db(None, base_url="redis://cache:6379", db=3, password="p@ss")
    assert url == "redis://:p%40ss@cache:6379/3"
    explicit = redis_url_for_db("redis://other:1/5", base_url=None, db=0, password=None)
    assert explicit == "redis://other:1/5"


def test_the_database_given_in_parts_is_the_one_django_connects_to() -> None:
    """What a secret store provides: a password (read from POSTGRES_PASSWORD_FILE by the
    images' entrypoint) and the server's location, no URL."""
    url = urlsplit(os.environ["DATABASE_URL"])
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.db import connection; "
            "print(connection.cursor().execute('select current_database()').fetchone()[0])",
        ],
        cwd=BACKEND_ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": "recotem.settings",
            "DEBUG": "true",
            "POSTGRES_HOST": url.hostname or "",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "",
            "POSTGRES_PASSWORD": url.password or "ignored-by-trust-authentication",
            "POSTGRES_DB": url.path.lstrip("/"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == url.path.lstrip("/")

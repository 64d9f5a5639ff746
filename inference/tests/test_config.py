"""Settings from the environment, and the refusal of unsafe ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from inference.config import Settings, sqlalchemy_url
from recotem_common.secrets import installation_secret_key
from tests.conftest import SECRET_KEY


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "REDIS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("key", ["", "short", "django-insecure-" + "x" * 40, "change-me" * 5])
def test_unsafe_secret_keys_are_refused_outside_debug(key: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(secret_key=key)


def test_debug_mode_uses_the_installations_own_key(tmp_path: Path) -> None:
    """The same file the backend reads: artifacts it signs verify here."""
    settings = Settings(debug=True, data_dir=tmp_path)

    assert settings.secret_key == installation_secret_key(tmp_path)
    assert Settings(debug=True, data_dir=tmp_path).secret_key == settings.secret_key


def test_variables_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("INFERENCE_PRELOAD_MODEL_IDS", "3, 5,8")
    monkeypatch.setenv("MODEL_SIGNING_KEYS", "new-key-abcdefghijklmnopqrstuvwxyz,old")
    monkeypatch.setenv("INFERENCE_MAX_CACHE_BYTES", "512MiB")
    monkeypatch.setenv("INFERENCE_WORKERS", "4")
    monkeypatch.setenv("RECOTEM_STORAGE_TYPE", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "models")

    settings = Settings()

    assert settings.preload_model_ids == [3, 5, 8]
    assert settings.model_signing_keys == ["new-key-abcdefghijklmnopqrstuvwxyz", "old"]
    assert settings.max_cache_bytes == 512 * 1024**2
    assert settings.workers == 4
    assert settings.storage_type == "S3"
    assert settings.rate_limit == "100/minute"
    assert settings.max_batch_size == 1000
    assert settings.max_cutoff == 1000


def test_redis_urls_follow_the_shared_rules() -> None:
    settings = Settings(
        secret_key=SECRET_KEY, redis_url="redis://cache:6380/0", redis_password="p@ss"
    )

    assert settings.events_redis_url == "redis://:p%40ss@cache:6380/3"
    assert settings.rate_limit_storage_uri == settings.events_redis_url
    explicit = Settings(
        secret_key=SECRET_KEY,
        model_events_redis_url="redis://events:6379/5",
        rate_limit_storage_url="redis://limits:6379/9",
    )
    assert explicit.events_redis_url == "redis://events:6379/5"
    assert explicit.rate_limit_storage_uri == "redis://limits:6379/9"


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("", "sqlite+aiosqlite:////data/recotem.sqlite3"),
        ("postgres://u:p@db:5432/recotem", "postgresql+psycopg://u:p@db:5432/recotem"),
        (
            "postgresql://db/recotem?sslmode=require",
            "postgresql+psycopg://db/recotem?sslmode=require",
        ),
        (
            "sqlite:////var/lib/recotem.sqlite3",
            "sqlite+aiosqlite:////var/lib/recotem.sqlite3",
        ),
    ],
)
def test_database_urls_become_async_sqlalchemy_urls(database_url: str, expected: str) -> None:
    assert sqlalchemy_url(database_url, Path("/data")) == expected


def test_unsupported_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="not supported"):
        Settings(secret_key=SECRET_KEY, database_url="mysql://db/recotem")
    with pytest.raises(ValidationError, match="INFERENCE_RATE_LIMIT"):
        Settings(secret_key=SECRET_KEY, rate_limit="lots")
    with pytest.raises(ValidationError, match="AWS_STORAGE_BUCKET_NAME"):
        Settings(secret_key=SECRET_KEY, storage_type="S3")


def test_the_database_can_be_given_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("POSTGRES_HOST", "db")
    monkeypatch.setenv("POSTGRES_PASSWORD", "from/a:secret")

    settings = Settings(secret_key=SECRET_KEY)

    assert settings.database_url == "postgres://recotem:from%2Fa%3Asecret@db:5432/recotem"
    assert settings.sqlalchemy_url.startswith("postgresql+psycopg://recotem:from%2Fa")


def test_a_database_given_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_HOST", "db")
    with pytest.raises(ValueError, match="Both DATABASE_URL and POSTGRES_HOST are set"):
        Settings(secret_key=SECRET_KEY, database_url="postgres://u:p@h/d")

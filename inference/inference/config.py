"""Settings, read only from the environment.

Variables shared with the backend keep the backend's names (``DATABASE_URL``,
``SECRET_KEY``, ``REDIS_URL``, ``MEDIA_ROOT``, ``AWS_*``...) so one env file configures
both services; the service's own knobs start with ``INFERENCE_``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from limits import parse_many
from pydantic import ByteSize, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from recotem_common.database_urls import database_url
from recotem_common.limits import FAILED_KEY_VERIFICATIONS, MAX_CUTOFF
from recotem_common.paths import DEFAULT_DATA_DIR, media_root, sqlite_path
from recotem_common.redis_urls import MODEL_EVENTS_DB, redis_url_for_db
from recotem_common.secrets import check_secret_key

_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql"}
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


def sqlalchemy_url(database_url: str, data_dir: Path) -> str:
    """The async SQLAlchemy URL for a Django-style ``DATABASE_URL``.

    An empty value means the backend's embedded SQLite file under the data directory.
    """
    if not database_url:
        return f"sqlite+aiosqlite:///{sqlite_path(data_dir)}"
    scheme, separator, rest = database_url.partition("://")
    base_scheme = scheme.split("+", 1)[0].lower()
    if separator and base_scheme in _POSTGRES_SCHEMES:
        return f"postgresql+psycopg://{rest}"
    if separator and base_scheme == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    raise ValueError(
        f"DATABASE_URL scheme {scheme!r} is not supported; use postgres://... or sqlite:///..."
    )


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=None, extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    debug: bool = Field(default=False, validation_alias="DEBUG")
    secret_key: str = Field(default="", validation_alias="SECRET_KEY", repr=False)
    model_signing_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="MODEL_SIGNING_KEYS", repr=False
    )

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, validation_alias="RECOTEM_DATA_DIR")
    # DATABASE_URL, or the POSTGRES_* parts a secret store provides (_database_location).
    database_url: str = Field(
        default="", validation_alias="DATABASE_URL", repr=False, validate_default=True
    )

    # Model files: the backend's default storage, local or S3-compatible.
    media_root: str = Field(default="", validation_alias="MEDIA_ROOT")
    storage_type: Literal["", "S3"] = Field(default="", validation_alias="RECOTEM_STORAGE_TYPE")
    aws_storage_bucket_name: str = Field(default="", validation_alias="AWS_STORAGE_BUCKET_NAME")
    aws_s3_endpoint_url: str | None = Field(default=None, validation_alias="AWS_S3_ENDPOINT_URL")
    aws_s3_region_name: str | None = Field(default=None, validation_alias="AWS_S3_REGION_NAME")
    aws_access_key_id: str | None = Field(
        default=None, validation_alias="AWS_ACCESS_KEY_ID", repr=False
    )
    aws_secret_access_key: str | None = Field(
        default=None, validation_alias="AWS_SECRET_ACCESS_KEY", repr=False
    )
    aws_location: str = Field(default="", validation_alias="AWS_LOCATION")

    redis_url: str = Field(default="", validation_alias="REDIS_URL", repr=False)
    model_events_redis_url: str = Field(
        default="", validation_alias="MODEL_EVENTS_REDIS_URL", repr=False
    )
    redis_password: str = Field(default="", validation_alias="REDIS_PASSWORD", repr=False)
    rate_limit_storage_url: str = Field(
        default="", validation_alias="INFERENCE_RATE_LIMIT_STORAGE_URL", repr=False
    )

    host: str = Field(default="127.0.0.1", validation_alias="INFERENCE_HOST")
    port: int = Field(default=8081, ge=1, le=65535, validation_alias="INFERENCE_PORT")
    workers: int = Field(default=1, ge=1, validation_alias="INFERENCE_WORKERS")

    preload_model_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="INFERENCE_PRELOAD_MODEL_IDS"
    )
    max_loaded_models: int = Field(default=16, ge=1, validation_alias="INFERENCE_MAX_LOADED_MODELS")
    max_cache_bytes: ByteSize = Field(
        default=ByteSize(2 * 1024**3), validation_alias="INFERENCE_MAX_CACHE_BYTES"
    )
    # A model whose file failed to load is not read again for this long, unless an event
    # announces a new version of it.
    model_retry_seconds: float = Field(
        default=30.0, ge=0, validation_alias="INFERENCE_MODEL_RETRY_SECONDS"
    )

    rate_limit: str = Field(default="100/minute", validation_alias="INFERENCE_RATE_LIMIT")
    # Failed API-key verifications per client address and per key prefix.
    api_key_failure_rate: str = Field(
        default=FAILED_KEY_VERIFICATIONS, validation_alias="API_KEY_FAILURE_RATE"
    )
    # How often a worker merges its rate-limit counts with the other workers' in Redis.
    rate_limit_sync_seconds: float = Field(
        default=0.1, gt=0, le=5.0, validation_alias="INFERENCE_RATE_LIMIT_SYNC_SECONDS"
    )
    max_batch_size: int = Field(default=1000, ge=1, validation_alias="INFERENCE_MAX_BATCH_SIZE")
    # Request bodies above this are refused before they are read in full (413).
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, validation_alias="INFERENCE_MAX_BODY_BYTES"
    )
    max_cutoff: int = Field(default=MAX_CUTOFF, ge=1, validation_alias="INFERENCE_MAX_CUTOFF")

    api_key_cache_seconds: float = Field(
        default=300.0, gt=0, validation_alias="INFERENCE_API_KEY_CACHE_SECONDS"
    )
    # How often cached keys are re-read from the database, the backstop for lost events.
    api_key_recheck_seconds: float = Field(
        default=1.0, gt=0, validation_alias="INFERENCE_API_KEY_RECHECK_SECONDS"
    )
    # Slot routing is re-read this often even without a slots_changed event.
    routing_refresh_seconds: float = Field(
        default=30.0, gt=0, validation_alias="INFERENCE_ROUTING_REFRESH_SECONDS"
    )
    impression_flush_seconds: float = Field(
        default=0.5, gt=0, le=1.0, validation_alias="INFERENCE_IMPRESSION_FLUSH_SECONDS"
    )
    # Impressions kept while the database is unreachable; the oldest are dropped beyond.
    impression_buffer_limit: int = Field(
        default=100_000, ge=1, validation_alias="INFERENCE_IMPRESSION_BUFFER_LIMIT"
    )

    # Bearer token for /metrics and for /health's details across every project; empty
    # keeps /metrics off, so tenant activity is never public by default.
    metrics_token: str = Field(default="", validation_alias="INFERENCE_METRICS_TOKEN", repr=False)

    # Web origins (scheme://host[:port]) whose pages may call the service from a browser;
    # "*" allows every origin. Empty: no CORS headers, browsers keep other sites out.
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="INFERENCE_CORS_ALLOWED_ORIGINS"
    )

    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_format: Literal["json", "plain"] = Field(default="json", validation_alias="LOG_FORMAT")
    access_log: bool = Field(default=True, validation_alias="INFERENCE_ACCESS_LOG")

    @field_validator(
        "model_signing_keys", "preload_model_ids", "cors_allowed_origins", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_commas(value)

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"INFERENCE_CORS_ALLOWED_ORIGINS: {origin!r} is not an origin; write "
                    "scheme://host[:port] without a path or trailing slash, e.g. "
                    "https://shop.example.com, or * for every origin."
                )
        return [origin.lower() for origin in origins]

    @field_validator("database_url")
    @classmethod
    def _database_location(cls, value: str) -> str:
        # The backend's rule, applied to the same variables (recotem_common.database_urls).
        return database_url({**os.environ, "DATABASE_URL": value})

    @field_validator("data_dir", mode="before")
    @classmethod
    def _default_when_empty(cls, value: object) -> object:
        return value or DEFAULT_DATA_DIR

    @field_validator("storage_type", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(
                f"INFERENCE_RATE_LIMIT {value!r} is not a rate such as '100/minute'."
            ) from exc
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        self.data_dir = self.data_dir.resolve()
        self.secret_key = check_secret_key(
            self.secret_key, debug=self.debug, data_dir=self.data_dir
        )
        if self.storage_type == "S3" and not self.aws_storage_bucket_name:
            raise ValueError("RECOTEM_STORAGE_TYPE=S3 needs AWS_STORAGE_BUCKET_NAME.")
        sqlalchemy_url(self.database_url, self.data_dir)
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return sqlalchemy_url(self.database_url, self.data_dir)

    @property
    def media_path(self) -> Path:
        return Path(self.media_root) if self.media_root else media_root(self.data_dir)

    @property
    def events_redis_url(self) -> str:
        return redis_url_for_db(
            self.model_events_redis_url or None,
            base_url=self.redis_url or None,
            db=MODEL_EVENTS_DB,
            password=self.redis_password or None,
        )

    @property
    def rate_limit_storage_uri(self) -> str:
        """Rate-limit counters share db3 with model events unless told otherwise."""
        return self.rate_limit_storage_url or self.events_redis_url

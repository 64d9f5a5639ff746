"""SQLAlchemy mappings of the backend's tables, only the columns this service uses.

The backend (Django) owns the schema and its migrations; these classes only read it,
except for ``Impression`` rows, which this service writes. Table and column names follow
Django's defaults (``<app_label>_<model>``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Dialect, ForeignKey, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator

# Django creates "integer primary key" on SQLite and bigint/bigserial elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend.

    Django (USE_TZ) keeps naive UTC text on SQLite and ``timestamptz`` on PostgreSQL;
    this type reads and writes both as aware UTC values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "auth_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150))
    is_active: Mapped[bool]


class Project(Base):
    __tablename__ = "projects_project"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"))
    name: Mapped[str] = mapped_column(String(256))


class ApiKey(Base):
    __tablename__ = "accounts_apikey"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects_project.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"))
    key_prefix: Mapped[str] = mapped_column(String(16))
    hashed_key: Mapped[str] = mapped_column(String(256))
    lookup_digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(Json)
    is_active: Mapped[bool]
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ModelConfiguration(Base):
    __tablename__ = "training_modelconfiguration"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects_project.id"))
    recommender_class_name: Mapped[str] = mapped_column(String(128))


class TrainedModel(Base):
    __tablename__ = "training_trainedmodel"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    configuration_id: Mapped[int] = mapped_column(ForeignKey("training_modelconfiguration.id"))
    file: Mapped[str | None] = mapped_column(String(512))
    filesize: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    version_tag: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeploymentSlot(Base):
    __tablename__ = "deployments_deploymentslot"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects_project.id"))
    name: Mapped[str] = mapped_column(String(256))
    trained_model_id: Mapped[int] = mapped_column(ForeignKey("training_trainedmodel.id"))
    weight: Mapped[float]
    is_active: Mapped[bool]


class ABTest(Base):
    __tablename__ = "deployments_abtest"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects_project.id"))
    name: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    control_slot_id: Mapped[int] = mapped_column(ForeignKey("deployments_deploymentslot.id"))
    variant_slot_id: Mapped[int] = mapped_column(ForeignKey("deployments_deploymentslot.id"))


class Impression(Base):
    __tablename__ = "deployments_impression"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects_project.id"))
    deployment_slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("deployments_deploymentslot.id")
    )
    trained_model_id: Mapped[int | None] = mapped_column(BigInteger)
    # Django stores UUIDs as 32 hex characters on SQLite, as native uuid on PostgreSQL;
    # SQLAlchemy's Uuid does the same.
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    user_id: Mapped[str] = mapped_column(String(256))
    item_ids: Mapped[list[str]] = mapped_column(Json)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)

"""Rows in the backend's tables, written with SQLAlchemy Core.

The tables come from the backend's own migrations, so a row needs every NOT NULL column
that Django fills from model defaults; ``Seeder.insert`` supplies neutral values for the
columns a test does not care about.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

from passlib.hash import django_pbkdf2_sha256
from sqlalchemy import JSON, Boolean, DateTime, Engine, MetaData, Table, insert, update
from sqlalchemy import types as sa_types

from inference.tables import UtcDateTime
from recotem_common.api_keys import (
    KEY_PREFIX,
    LOOKUP_PREFIX_LENGTH,
    SCOPE_PREDICT,
    generate_api_key,
    key_digest,
)

# Real keys use Django's default iteration count; tests only need the same format.
FAST_HASHER = django_pbkdf2_sha256.using(rounds=1000)
_sequence = itertools.count(1)


def unique(label: str) -> str:
    return f"{label}-{next(_sequence)}"


def _neutral(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, DateTime | UtcDateTime):
        return datetime.now(UTC)
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, sa_types.Integer | sa_types.Float | sa_types.Numeric):
        return 0
    return ""


class Seeder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.metadata = MetaData()
        self.metadata.reflect(engine)

    def table(self, name: str) -> Table:
        return self.metadata.tables[name]

    def insert(self, table_name: str, **values: Any) -> int:
        table = self.table(table_name)
        row = {name: self._encode(table, name, value) for name, value in values.items()}
        for column in table.columns:
            if column.name in row or column.primary_key or column.nullable:
                continue
            row[column.name] = _neutral(column)
        with self.engine.begin() as connection:
            key = connection.execute(insert(table).values(**row)).inserted_primary_key
            assert key is not None
            return int(key[0])

    @staticmethod
    def _encode(table: Table, name: str, value: Any) -> Any:
        # Django's JSONField is a text column on SQLite (jsonb on PostgreSQL).
        if isinstance(value, list | dict) and not isinstance(table.c[name].type, JSON):
            return json.dumps(value)
        return value

    def update(self, table_name: str, row_id: int, **values: Any) -> None:
        table = self.table(table_name)
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == row_id)
                .values(**{k: self._encode(table, k, v) for k, v in values.items()})
            )

    def user(self, *, is_active: bool = True) -> int:
        return self.insert(
            "auth_user",
            username=unique("user"),
            password="!",
            is_active=is_active,
            date_joined=datetime.now(UTC),
        )

    def project(self, *, owner_id: int) -> int:
        return self.insert(
            "projects_project",
            owner_id=owner_id,
            name=unique("project"),
            user_column="user_id",
            item_column="item_id",
        )

    def trained_model(self, *, project_id: int, file: str, algorithm: str, **row: Any) -> int:
        """A completed model of ``algorithm`` served from ``file``; ``row`` overrides
        columns of its row (``status="RUNNING"``, a ``version_tag``)."""
        data_id = self.insert(
            "projects_trainingdata",
            project_id=project_id,
            basename="u.data",
            validation_status="VALID",
            columns=[],
        )
        configuration_id = self.insert(
            "training_modelconfiguration",
            project_id=project_id,
            name=unique("config"),
            recommender_class_name=algorithm,
            parameters_json={},
        )
        return self.insert(
            "training_trainedmodel",
            configuration_id=configuration_id,
            data_loc_id=data_id,
            file=file,
            **{
                "status": "COMPLETED",
                "version_tag": unique("v"),
                "finished_at": datetime.now(UTC),
                "metrics_json": {},
                **row,
            },
        )

    def api_key(
        self,
        *,
        project_id: int,
        owner_id: int,
        scopes: list[str] | None = None,
        expires_at: datetime | None = None,
        hasher: Any = FAST_HASHER,
        raw_key: str | None = None,
        with_digest: bool = True,
    ) -> tuple[int, str]:
        """A key as the backend issues it; ``with_digest=False`` for one issued before
        keys had a lookup digest, which only PBKDF2 identifies."""
        raw_key = raw_key or generate_api_key()
        key_id = self.insert(
            "accounts_apikey",
            project_id=project_id,
            owner_id=owner_id,
            name=unique("key"),
            key_prefix=raw_key[len(KEY_PREFIX) :][:LOOKUP_PREFIX_LENGTH],
            hashed_key=hasher.hash(raw_key),
            lookup_digest=key_digest(raw_key) if with_digest else "",
            scopes=scopes if scopes is not None else [SCOPE_PREDICT],
            is_active=True,
            expires_at=expires_at,
        )
        return key_id, raw_key

    def slot(
        self,
        *,
        project_id: int,
        model_id: int,
        weight: float = 100.0,
        is_active: bool = True,
        name: str | None = None,
    ) -> int:
        return self.insert(
            "deployments_deploymentslot",
            project_id=project_id,
            name=name or unique("slot"),
            trained_model_id=model_id,
            weight=weight,
            is_active=is_active,
        )

    def ab_test(
        self,
        *,
        project_id: int,
        control_slot_id: int,
        variant_slot_id: int,
        status: str,
    ) -> int:
        return self.insert(
            "deployments_abtest",
            project_id=project_id,
            name=unique("ab"),
            status=status,
            control_slot_id=control_slot_id,
            variant_slot_id=variant_slot_id,
            target_metric_name="ctr",
            min_sample_size=100,
            confidence_level=0.95,
        )

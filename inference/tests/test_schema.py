"""The SQLAlchemy mappings agree with the schema the backend's migrations create."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy import types as sa_types

from inference.tables import Base, UtcDateTime
from tests.conftest import MigratedDatabase


def _family(kind: sa_types.TypeEngine[object]) -> str:
    if isinstance(kind, UtcDateTime | sa_types.DateTime):
        return "datetime"
    if isinstance(kind, sa_types.Boolean):
        return "bool"
    if isinstance(kind, sa_types.Uuid):
        return "uuid"
    if isinstance(kind, sa_types.JSON):
        return "json"
    if isinstance(kind, sa_types.Integer):
        return "int"
    if isinstance(kind, sa_types.Float | sa_types.Numeric):
        return "float"
    if isinstance(kind, sa_types.String):
        return "text"
    return type(kind).__name__


# SQLite has no JSON or UUID type: Django stores both as text (UUIDs as 32 hex digits).
_SQLITE_STORAGE = {"json": "text", "uuid": "text"}


def test_every_mapped_column_exists_with_a_compatible_type(
    database: MigratedDatabase,
) -> None:
    inspector = inspect(database.engine)
    sqlite = database.engine.dialect.name == "sqlite"
    problems = []
    for table in Base.metadata.sorted_tables:
        actual = {column["name"]: column for column in inspector.get_columns(table.name)}
        for column in table.columns:
            found = actual.get(column.name)
            if found is None:
                problems.append(f"{table.name}.{column.name} is missing")
                continue
            expected = _family(column.type)
            if sqlite:
                expected = _SQLITE_STORAGE.get(expected, expected)
            if _family(found["type"]) != expected:
                problems.append(
                    f"{table.name}.{column.name}: mapped {expected}, database has {found['type']}"
                )
            if not column.primary_key and column.nullable != found["nullable"]:
                problems.append(
                    f"{table.name}.{column.name}: mapped nullable={column.nullable}, "
                    f"database nullable={found['nullable']}"
                )

    assert problems == []

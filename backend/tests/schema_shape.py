"""Compares a real API answer with what the OpenAPI schema promises, key by key."""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.generators import SchemaGenerator


@cache
def components() -> dict[str, Any]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return dict(schema["components"]["schemas"])


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return components()[node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node:
        return _resolve(node["allOf"][0])
    return node


def schema_mismatches(body: Any, node: dict[str, Any], where: str = "$") -> list[str]:
    """Where ``body`` has keys the schema lacks or lacks keys the schema lists."""
    node = _resolve(node)
    if isinstance(body, dict) and "properties" in node:
        listed = set(node["properties"])
        problems = [f"{where}: {sorted(set(body) ^ listed)}"] if set(body) != listed else []
        for key in set(body) & listed:
            problems += schema_mismatches(body[key], node["properties"][key], f"{where}.{key}")
        return problems
    if isinstance(body, list) and "items" in node:
        return [
            p
            for i, item in enumerate(body)
            for p in schema_mismatches(item, node["items"], f"{where}[{i}]")
        ]
    return []


def component_mismatches(body: Any, name: str) -> list[str]:
    return schema_mismatches(body, components()[name])

"""A model's item metadata in memory: the fields answers describe their items with, and
the features content similarity compares them by (``inference.content``).

Built from the artifact's ``item_metadata`` section when the model is loaded, and
counted in the model's bytes, so the model cache's bounds cover it.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from typing import Any

from inference.content import ContentIndex
from inference.errors import field_error
from recotem_common.artifact.item_metadata import ItemMetadata

FIELDS = "fields"
CONTENT_FIELDS = "content_fields"
RETRAIN_HINT = " Upload item metadata to the project and train the model again."


def _size(value: Any) -> int:
    if isinstance(value, list):
        return sys.getsizeof(value) + sum(_size(item) for item in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(_size(k) + _size(v) for k, v in value.items())
    return sys.getsizeof(value)


def _check(
    requested: Sequence[str], available: Collection[str], *, parameter: str, what: str
) -> None:
    unknown = [name for name in requested if name not in available]
    if not unknown:
        return
    listed = ", ".join(available) if available else "none"
    raise field_error(
        parameter,
        f"Unknown {what}: {', '.join(unknown)}. Available fields: {listed}."
        + ("" if available else RETRAIN_HINT),
    )


class ItemCatalogue:
    def __init__(self, metadata: ItemMetadata | None) -> None:
        self.has_metadata = metadata is not None
        self.fields: dict[str, list[Any]] = metadata.fields if metadata is not None else {}
        self.content = ContentIndex(metadata)
        self.nbytes = (
            _size(self.fields) + _size(self.content.rows) + self.content.nbytes
            if metadata is not None
            else 0
        )

    def check_fields(self, requested: Sequence[str]) -> None:
        """Raise a 400 naming the available fields when any requested one is not."""
        _check(requested, self.fields, parameter=FIELDS, what="item metadata field(s)")

    def content_fields(self, requested: Sequence[str]) -> list[str]:
        """The fields content similarity compares: ``requested``, or every comparable
        one; a 400 names the comparable fields when a requested one is not."""
        comparable = self.content.fields
        _check(requested, comparable, parameter=CONTENT_FIELDS, what="comparable metadata field(s)")
        return list(requested) if requested else list(comparable)

    def details(self, item_id: str, fields: Sequence[str]) -> dict[str, Any]:
        """The requested fields of one item; null for an item without metadata."""
        row = self.content.rows.get(item_id)
        if row is None:
            return dict.fromkeys(fields)
        return {name: self.fields[name][row] for name in fields}

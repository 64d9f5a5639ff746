"""Item metadata carried in a model artifact's manifest.

Training copies the project's item metadata (the latest VALID upload) into the manifest,
so the inference service describes items and compares their content with exactly the
metadata the model was trained beside, signed with it, and without reading uploads.

The section is ``manifest["item_metadata"] = {"item_ids": [...], "fields": {name:
[value per item]}}``; values are JSON (text, numbers, booleans, lists, null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recotem_common.artifact.errors import ArtifactError

MANIFEST_KEY = "item_metadata"


@dataclass(frozen=True)
class ItemMetadata:
    item_ids: list[str]
    fields: dict[str, list[Any]]


def metadata_section(
    item_ids: Sequence[str], fields: Mapping[str, Sequence[Any]]
) -> dict[str, Any]:
    """The manifest value for ``MANIFEST_KEY``; one value per item in every field."""
    return {
        "item_ids": list(item_ids),
        "fields": {name: list(values) for name, values in fields.items()},
    }


def read_metadata(manifest: Mapping[str, Any]) -> ItemMetadata | None:
    """The artifact's item metadata, or None when it was trained without any."""
    section = manifest.get(MANIFEST_KEY)
    if section is None:
        return None
    try:
        item_ids = [str(item) for item in section["item_ids"]]
        fields = {str(name): list(values) for name, values in section["fields"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ArtifactError("The artifact's item metadata is malformed.") from exc
    if any(len(values) != len(item_ids) for values in fields.values()):
        raise ArtifactError("The artifact's item metadata has fields of unequal length.")
    return ItemMetadata(item_ids=item_ids, fields=fields)

"""The model artifact: one signed, pickle-free file per trained model.

Training writes it (:func:`export_recommender` then :func:`write_artifact`); the backend
previews and the inference service read it (:func:`read_artifact`) and score with the
returned :class:`ModelArtifact`. The format is described in ``common/README.md`` and
``docs/adr/0001-model-artifact-format.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from recotem_common.artifact import container
from recotem_common.artifact.errors import (
    ArtifactError,
    ArtifactTampered,
    ArtifactTruncated,
    ArtifactUnknownKey,
    ArtifactUnknownVersion,
    UnsupportedOperation,
)
from recotem_common.artifact.keys import SigningKey, signing_keys
from recotem_common.artifact.model import ModelArtifact

if TYPE_CHECKING:
    from irspack import BaseRecommender

FORMAT_VERSION = container.FORMAT_VERSION

__all__ = [
    "FORMAT_VERSION",
    "ArtifactError",
    "ArtifactTampered",
    "ArtifactTruncated",
    "ArtifactUnknownKey",
    "ArtifactUnknownVersion",
    "ModelArtifact",
    "SigningKey",
    "UnsupportedOperation",
    "export_recommender",
    "read_artifact",
    "resign_artifact",
    "signing_keys",
    "write_artifact",
]


def write_artifact(model: ModelArtifact, key: SigningKey) -> bytes:
    """The signed file content for ``model``."""
    manifest = {**model.manifest, "format_version": FORMAT_VERSION}
    return container.pack(manifest, model.arrays, key)


def read_artifact(data: bytes, keys: Sequence[SigningKey]) -> ModelArtifact:
    """Verify ``data`` with whichever of ``keys`` signed it, then load it.

    The arrays are views into ``data`` (nothing is copied), so keep ``data`` immutable.
    Raises a subclass of :class:`ArtifactError` for any file that must not be used.
    """
    manifest, arrays = container.unpack(data, keys)
    return ModelArtifact(manifest, arrays)


def resign_artifact(data: bytes, keys: Sequence[SigningKey]) -> bytes | None:
    """``data`` signed with ``keys[0]``, or None when it already is.

    The file must verify with one of ``keys``; its payload is carried over unchanged.
    """
    return container.resign(data, keys)


def export_recommender(
    recommender: BaseRecommender,
    *,
    user_ids: Sequence[str],
    item_ids: Sequence[str],
    manifest: Mapping[str, Any],
) -> ModelArtifact:
    """See :func:`recotem_common.artifact.export.export_recommender`."""
    from recotem_common.artifact.export import export_recommender as export

    return export(recommender, user_ids=user_ids, item_ids=item_ids, manifest=manifest)

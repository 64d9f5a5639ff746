"""Signing keys and loaded model artifacts for the whole backend."""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.conf import settings
from django.core.files.storage import default_storage

from recotem_common.artifact import ModelArtifact, SigningKey, read_artifact, signing_keys
from training.models import TrainedModel

# Loaded artifacts kept per process for the preview endpoints; a model is a few MB to a
# few hundred MB, so only a handful are kept.
CACHE_ENTRIES = 4


def model_signing_keys() -> list[SigningKey]:
    """The first key signs new artifacts; every key verifies."""
    return signing_keys(settings.SECRET_KEY, settings.MODEL_SIGNING_KEYS)


def read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


class _ArtifactCache:
    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._loaded: OrderedDict[tuple[int, str], ModelArtifact] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model: TrainedModel) -> ModelArtifact:
        # The file name is part of the key: a re-signed or retrained file is new.
        name = model.file.name or ""
        key = (model.pk, name)
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        artifact = read_artifact(read_stored(name), model_signing_keys())
        with self._lock:
            self._loaded[key] = artifact
            while len(self._loaded) > self.entries:
                self._loaded.popitem(last=False)
        return artifact

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()


artifact_cache = _ArtifactCache(CACHE_ENTRIES)
